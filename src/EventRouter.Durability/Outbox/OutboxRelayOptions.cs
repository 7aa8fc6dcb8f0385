using System;

namespace EventRouter.Durability;

/// <summary>Settings of an <see cref="OutboxRelay"/>.</summary>
public sealed class OutboxRelayOptions
{
    /// <summary>How long the relay waits before looking again when the outbox was empty or a delivery failed. Default: 500 ms.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The most events one pass claims and delivers (a full batch is followed by the next one at once). Default: 100.</summary>
    public int BatchSize { get; set; } = 100;

    internal OutboxRelayOptions Clone() => (OutboxRelayOptions)MemberwiseClone();

    internal void Validate()
    {
        if (PollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(PollInterval), PollInterval, "The poll interval must be positive.");
        }
        if (BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "A batch holds at least one event.");
        }
    }
}
