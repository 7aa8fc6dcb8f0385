using System;
using System.Threading;

namespace EventRouter.DispatchLoop;

/// <summary>
/// An event accepted by <see cref="EventDispatchLoop"/> for delivery at a later time: the handle that cancels it.
/// </summary>
/// <remarks>
/// While <see cref="IsPending"/>, the event waits in the loop's schedule (not in its queue). At its due time, on the
/// loop's <see cref="TimeProvider"/>, it enters the queue like an enqueued event. A stop returns pending events as
/// <see cref="UndeliveredEvent"/>s with <see cref="UndeliveredEvent.DueAt"/> set.
/// </remarks>
public sealed class ScheduledEvent
{
    internal const int Pending = 0;
    internal const int Due = 1;        // taken from the schedule, entering the queue
    internal const int Enqueued = 2;
    internal const int Canceled = 3;
    internal const int Returned = 4;   // returned undelivered by a stop
    internal const int Ignored = 5;    // nothing listens and the policy accepts nothing

    private readonly EventDispatchLoop? _loop;
    private int _state;

    internal ScheduledEvent(EventDispatchLoop? loop, object @event, DateTimeOffset dueAt, long sequence, int state)
    {
        _loop = loop;
        Event = @event;
        DueAt = dueAt;
        Sequence = sequence;
        _state = state;
    }

    /// <summary>The event.</summary>
    public object Event { get; }

    /// <summary>When the event enters the loop's queue, on the loop's <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset DueAt { get; }

    /// <summary>True while the event waits for its time: it can still be cancelled.</summary>
    public bool IsPending => Volatile.Read(ref _state) == Pending;

    /// <summary>Orders events due at the same time: first scheduled, first queued.</summary>
    internal long Sequence { get; }

    internal EventDispatchLoop.Envelope Envelope { get; init; }

    internal int Lane { get; init; }

    internal int State => Volatile.Read(ref _state);

    /// <summary>
    /// Cancels the event if it is still pending: it is then never delivered and is counted as
    /// <see cref="DispatchLoopCounts.Canceled"/>.
    /// </summary>
    /// <returns>True when this call cancelled it; false when it was already due (queued or delivered), cancelled or returned by a stop.</returns>
    public bool Cancel() => _loop is not null && _loop.CancelScheduled(this);

    /// <summary>Moves a pending event to <paramref name="state"/>; false when it was not pending. Called under the schedule's lock.</summary>
    internal bool TryLeavePending(int state) => Interlocked.CompareExchange(ref _state, state, Pending) == Pending;

    internal void SetState(int state) => Volatile.Write(ref _state, state);
}
