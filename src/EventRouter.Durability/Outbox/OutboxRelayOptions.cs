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
        // The relay waits on a semaphore, which takes at most int.MaxValue ms.
        if (PollInterval <= TimeSpan.Zero || PollInterval.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(PollInterval), PollInterval, "OutboxRelayOptions.PollInterval must be positive (and below 24 days).");
        }
        if (BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "OutboxRelayOptions.BatchSize must be at least 1: a batch holds at least one event.");
        }
    }
}
