using System;
using System.Collections.Generic;

namespace EventRouter.DispatchLoop;

/// <summary>
/// What an <see cref="EventDispatchLoop"/> has done so far. Every accepted event ends in exactly one outcome, so once
/// the loop has stopped <c>Handled + DeadLettered + Dropped + ReturnedUndelivered == Accepted</c>.
/// </summary>
/// <param name="Accepted">Events taken by <c>EnqueueAsync</c>/<c>TryEnqueue</c> (including producers still waiting for room).</param>
/// <param name="Handled">Events every listener completed (or had already completed, by idempotency).</param>
/// <param name="DeadLettered">Events of which at least one listener gave up after its last attempt.</param>
/// <param name="Dropped">Events a drop mode discarded.</param>
/// <param name="ReturnedUndelivered">Events a stop returned because some listener had not completed them.</param>
/// <param name="Retries">Retry attempts made, across all listeners.</param>
/// <param name="Deduplicated">Listener deliveries skipped because the idempotency store had them as completed.</param>
public readonly record struct DispatchLoopCounts(
    long Accepted, long Handled, long DeadLettered, long Dropped, long ReturnedUndelivered, long Retries, long Deduplicated)
{
    /// <summary>Accepted events without an outcome yet: queued or being delivered.</summary>
    public long InFlight => Accepted - Handled - DeadLettered - Dropped - ReturnedUndelivered;
}

/// <summary>An event a stop could not deliver to every listener.</summary>
/// <param name="Event">The event.</param>
/// <param name="EventName">The event's stable name.</param>
/// <param name="EventId">The event's id, or null.</param>
/// <param name="PendingListeners">
/// The listeners that have not completed it (all of them when it never left the queue). Listeners that completed it
/// are not listed; for an event with an id, enqueuing it again later runs only the pending ones.
/// </param>
public sealed record UndeliveredEvent(object Event, string EventName, string? EventId, IReadOnlyList<ListenerInfo> PendingListeners);

/// <summary>Thrown when an event is enqueued after the dispatch loop began to stop.</summary>
public sealed class DispatchLoopStoppedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public DispatchLoopStoppedException()
        : base("The event dispatch loop is stopping or has stopped and no longer accepts events.")
    {
    }
}

/// <summary>Thrown by <see cref="EventDispatchLoop.EnqueueAsync"/> when the queue is full and <see cref="QueueFullMode.Reject"/> is set.</summary>
public sealed class DispatchLoopFullException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="eventName">The rejected event's name.</param>
    /// <param name="capacity">The queue's capacity.</param>
    public DispatchLoopFullException(string eventName, int capacity)
        : base($"The event dispatch loop's queue is full (capacity {capacity}, QueueFullMode.Reject): event '{eventName}' was not accepted. Retry later, raise Capacity, or use QueueFullMode.Wait.")
    {
        EventName = eventName;
        Capacity = capacity;
    }

    /// <summary>The rejected event's name.</summary>
    public string EventName { get; }

    /// <summary>The queue's capacity.</summary>
    public int Capacity { get; }
}
