using System;
using System.Collections.Generic;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace EventRouter.Durability;

/// <summary>Settings of a <see cref="DurableStore"/>. Read once, when the store is created.</summary>
public sealed class DurableStoreOptions
{
    /// <summary>
    /// The source-generated System.Text.Json context that serializes the events the store keeps (the outbox and the
    /// durable dispatch loop). Required for those; the inbox alone does not need it. The reflection-based serializer
    /// is never used, so the store works trimmed and with Native AOT.
    /// </summary>
    public JsonSerializerContext? JsonContext { get; set; }

    /// <summary>
    /// Event types the store may have to read back that no listener of this process handles, such as the events an
    /// outbox relay only forwards to a broker. The event types of the dispatcher are known already.
    /// </summary>
    public IList<Type> EventTypes => _eventTypes;

    private List<Type> _eventTypes = new();

    /// <summary>
    /// The name of this instance in a database shared by several: a durable dispatch loop recovers only the events
    /// its own instance accepted. Stable across restarts, unique per instance. Default: the machine name.
    /// </summary>
    public string InstanceName { get; set; } = Environment.MachineName;

    /// <summary>How long the inbox remembers that a listener completed an event. Default: 7 days.</summary>
    public TimeSpan InboxRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long sent outbox events are kept before cleanup deletes them. Default: 1 hour.</summary>
    public TimeSpan SentOutboxRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the hosted store runs <see cref="DurableStore.CleanupAsync"/>. Default: 1 hour.</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The most writes committed in one transaction. Concurrent writes (enqueues, completions) wait for one commit
    /// together; a larger batch means fewer commits (and fewer disk flushes) under load. Default: 256.
    /// </summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>The clock of the timestamps the store writes. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Where the store logs. Default: nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    internal DurableStoreOptions Clone()
    {
        var copy = (DurableStoreOptions)MemberwiseClone();
        copy._eventTypes = new List<Type>(EventTypes);
        return copy;
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(InstanceName))
        {
            throw new ArgumentException("DurableStoreOptions.InstanceName must not be empty.", nameof(InstanceName));
        }
        if (MaxBatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "DurableStoreOptions.MaxBatchSize must be at least 1: a batch holds at least one write.");
        }
        if (InboxRetention <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(InboxRetention), InboxRetention, "DurableStoreOptions.InboxRetention must be positive.");
        }
        // The cleanup waits with Task.Delay, which takes at most uint.MaxValue - 1 ms.
        if (CleanupInterval <= TimeSpan.Zero || CleanupInterval.TotalMilliseconds > uint.MaxValue - 1)
        {
            throw new ArgumentOutOfRangeException(nameof(CleanupInterval), CleanupInterval, "DurableStoreOptions.CleanupInterval must be positive (and below 49 days).");
        }
        if (SentOutboxRetention < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(SentOutboxRetention), SentOutboxRetention, "DurableStoreOptions.SentOutboxRetention must be zero or positive.");
        }
    }
}
