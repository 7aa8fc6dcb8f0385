using System;

namespace EventRouter;

/// <summary>An event that carries a partition key: events with the same key are handled in order.</summary>
public interface IPartitionedEvent
{
    /// <summary>The ordering key.</summary>
    string PartitionKey { get; }
}
