using System;

namespace EventRouter;

/// <summary>An event that carries its own id, used to de-duplicate deliveries per listener.</summary>
public interface IIdentifiableEvent
{
    /// <summary>A value that is the same for every delivery of the same event.</summary>
    string EventId { get; }
}
