using System;
using System.Collections.Generic;

namespace EventRouter.DispatchLoop;

/// <summary>An event a stop could not deliver to every listener.</summary>
/// <param name="Event">The event.</param>
/// <param name="EventName">The event's stable name.</param>
/// <param name="EventId">The event's id, or null.</param>
/// <param name="PendingListeners">
/// The listeners that have not completed it (all of them when it never left the queue). Listeners that completed it
/// are not listed; for an event with an id, enqueuing it again later runs only the pending ones.
/// </param>
public sealed record UndeliveredEvent(object Event, string EventName, string? EventId, IReadOnlyList<ListenerInfo> PendingListeners)
{
    /// <summary>
    /// For a scheduled event the stop took from the schedule before its time: when it was due (schedule it again with
    /// <c>EnqueueAsync(event, dueAt)</c> after a restart). Null for an event that was in the queue.
    /// </summary>
    public DateTimeOffset? DueAt { get; init; }
}
