using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.DispatchLoop;

/// <summary>
/// Scheduled events: a sorted schedule (by due time, then by order of scheduling) under one lock, and one timer on
/// the loop's <see cref="TimeProvider"/> armed for the earliest due time. A due event enters the queue through the
/// same lanes as an enqueued one; until then it is accepted and in flight, but takes no room in the queue.
/// </summary>
public sealed partial class EventDispatchLoop
{
    private readonly object _scheduleLock = new();
    private readonly SortedSet<ScheduledEvent> _schedule = new(ScheduleOrder.Instance);
    private ITimer? _scheduleTimer;
    private DateTimeOffset _scheduleTimerDue = DateTimeOffset.MaxValue;
    private bool _scheduleClosed;
    private long _scheduleSequence;
    private int _moving; // taken from the schedule and not yet in a lane (or returned)
    private TaskCompletionSource? _movesSettled;
    private ScheduleCounters _scheduleCounters;

    /// <summary>The number of scheduled events waiting for their due time now.</summary>
    public int ScheduledCount
    {
        get
        {
            lock (_scheduleLock)
            {
                return _schedule.Count;
            }
        }
    }

    /// <summary>
    /// Accepts an event for delivery after <paramref name="delay"/> on the loop's <see cref="TimeProvider"/>: it waits in
    /// the schedule (taking no room in the queue), then enters the queue like an enqueued event. A zero delay queues it
    /// at once. Never waits for room: a due event that finds its lane full waits there by itself.
    /// </summary>
    /// <param name="event">The event; its runtime type selects the route (checked now, with the no-listener policy).</param>
    /// <param name="delay">How long from now; zero or positive.</param>
    /// <returns>The handle that cancels the event while it is pending; completes synchronously, or with a journal
    /// (<see cref="DispatchLoopOptions.Journal"/>) once the event and its due time are stored.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="event"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    /// <exception cref="DispatchLoopStoppedException">The loop is stopping or stopped.</exception>
    /// <exception cref="NoListenerException">Nothing listens to the event and the dispatcher's policy is <see cref="NoListenerPolicy.Throw"/>.</exception>
    public ValueTask<ScheduledEvent> EnqueueAsync(object @event, TimeSpan delay)
    {
        if (delay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay, "The delay must be zero or positive.");
        }
        return _journal is null ? new ValueTask<ScheduledEvent>(Schedule(@event, _time.GetUtcNow() + delay)) : ScheduleJournaledAsync(@event, delay, null);
    }

    /// <summary>
    /// Accepts an event for delivery at <paramref name="dueAt"/> on the loop's <see cref="TimeProvider"/>: it waits in
    /// the schedule (taking no room in the queue), then enters the queue like an enqueued event. A time now or in the
    /// past queues it at once. Never waits for room: a due event that finds its lane full waits there by itself.
    /// </summary>
    /// <param name="event">The event; its runtime type selects the route (checked now, with the no-listener policy).</param>
    /// <param name="dueAt">When it enters the queue.</param>
    /// <returns>The handle that cancels the event while it is pending; completes synchronously, or with a journal
    /// (<see cref="DispatchLoopOptions.Journal"/>) once the event and its due time are stored.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="event"/> is null.</exception>
    /// <exception cref="DispatchLoopStoppedException">The loop is stopping or stopped.</exception>
    /// <exception cref="NoListenerException">Nothing listens to the event and the dispatcher's policy is <see cref="NoListenerPolicy.Throw"/>.</exception>
    public ValueTask<ScheduledEvent> EnqueueAsync(object @event, DateTimeOffset dueAt) =>
        _journal is null ? new(Schedule(@event, dueAt)) : ScheduleJournaledAsync(@event, null, dueAt);

    private ScheduledEvent Schedule(object @event, DateTimeOffset dueAt)
    {
        if (@event is null)
        {
            throw NullEvent();
        }
        if (_stopping)
        {
            throw new DispatchLoopStoppedException();
        }
        if (!TryPrepare(@event, out var envelope, out var lane))
        {
            return new ScheduledEvent(null, @event, dueAt, 0, ScheduledEvent.Ignored);
        }
        return ScheduleCore(envelope, lane, dueAt) ?? throw new DispatchLoopStoppedException();
    }

    /// <summary>
    /// The durable way: the event and its due time are stored before the handle is returned, and a restart schedules
    /// it again (<see cref="ScheduleRecovered"/>). A stop that closes the schedule after the store returns the event
    /// undelivered: it was accepted, and stays stored for the next start.
    /// </summary>
    private async ValueTask<ScheduledEvent> ScheduleJournaledAsync(object @event, TimeSpan? delay, DateTimeOffset? at)
    {
        if (@event is null)
        {
            throw NullEvent();
        }
        var recovery = StartRecovery();
        if (!recovery.IsCompletedSuccessfully)
        {
            await recovery.ConfigureAwait(false); // a failed recovery fails every enqueue
        }
        if (_stopping)
        {
            throw new DispatchLoopStoppedException();
        }
        var dueAt = at ?? _time.GetUtcNow() + delay!.Value;
        if (!TryPrepare(@event, out var envelope, out var lane))
        {
            return new ScheduledEvent(null, @event, dueAt, 0, ScheduledEvent.Ignored);
        }
        // Not accepted until this returns: a store that fails fails the call, and the caller still has the event.
        var position = await _journal!.AppendScheduledAsync(@event, envelope.Route, dueAt, CancellationToken.None).ConfigureAwait(false);
        return ScheduleCore(envelope.WithJournal(position, completed: null), lane, dueAt) ?? ReturnClosed(envelope.WithJournal(position, completed: null), lane, dueAt);
    }

    /// <summary>A scheduled event a restart recovered from the journal: back in the schedule until its due time.</summary>
    private void ScheduleRecovered(Envelope envelope, int lane, DateTimeOffset dueAt)
    {
        if (ScheduleCore(envelope, lane, dueAt) is null)
        {
            ReturnClosed(envelope, lane, dueAt);
        }
    }

    /// <summary>A stored scheduled event that met a closed schedule: accepted, and returned undelivered at once.</summary>
    private ScheduledEvent ReturnClosed(Envelope envelope, int lane, DateTimeOffset dueAt)
    {
        var scheduled = new ScheduledEvent(this, envelope.Event, dueAt, 0, ScheduledEvent.Returned) { Envelope = envelope, Lane = lane };
        Interlocked.Increment(ref _scheduleCounters.Scheduled);
        Interlocked.Increment(ref _scheduleCounters.Pending);
        ReturnScheduled(scheduled, ref _scheduleCounters.Pending);
        return scheduled;
    }

    /// <summary>Puts a prepared event in the schedule (or, due already, in its lane); null when the schedule is closed.</summary>
    private ScheduledEvent? ScheduleCore(Envelope envelope, int lane, DateTimeOffset dueAt)
    {
        var @event = envelope.Event;
        ScheduledEvent scheduled;
        lock (_scheduleLock)
        {
            if (_scheduleClosed)
            {
                return null;
            }
            scheduled = new ScheduledEvent(this, @event, dueAt, ++_scheduleSequence, ScheduledEvent.Pending) { Envelope = envelope, Lane = lane };
            Interlocked.Increment(ref _scheduleCounters.Scheduled);
            Interlocked.Increment(ref _scheduleCounters.Pending);
            var now = _time.GetUtcNow();
            if (dueAt > now)
            {
                _schedule.Add(scheduled);
                if (dueAt < _scheduleTimerDue)
                {
                    ArmScheduleTimer(dueAt, now);
                }
                return scheduled;
            }
            // Due already: straight into the queue, on this thread.
            scheduled.TryLeavePending(ScheduledEvent.Due);
            _moving++;
        }
        MoveToQueue(scheduled);
        return scheduled;
    }

    internal bool CancelScheduled(ScheduledEvent scheduled)
    {
        lock (_scheduleLock)
        {
            if (!scheduled.TryLeavePending(ScheduledEvent.Canceled))
            {
                return false;
            }
            _schedule.Remove(scheduled);
            // The outcome before the pending count drops, so a snapshot never loses the event from Accepted.
            Interlocked.Increment(ref _scheduleCounters.Canceled);
            Interlocked.Decrement(ref _scheduleCounters.Pending);
        }
        // Finished: a restart does not schedule it again.
        JournalCompleted(scheduled.Envelope);
        return true;
    }

    private void ArmScheduleTimer(DateTimeOffset dueAt, DateTimeOffset now)
    {
        _scheduleTimerDue = dueAt;
        var wait = dueAt - now;
        if (wait < TimeSpan.Zero)
        {
            wait = TimeSpan.Zero;
        }
        if (_scheduleTimer is null)
        {
            // The timer lives as long as the loop: it must not capture (and keep alive) a producer's context.
            using (ExecutionContext.SuppressFlow())
            {
                _scheduleTimer = _time.CreateTimer(static s => ((EventDispatchLoop)s!).OnScheduleTimer(), this, wait, Timeout.InfiniteTimeSpan);
            }
        }
        else
        {
            _scheduleTimer.Change(wait, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnScheduleTimer()
    {
        List<ScheduledEvent>? due = null;
        lock (_scheduleLock)
        {
            if (_scheduleClosed)
            {
                return;
            }
            _scheduleTimerDue = DateTimeOffset.MaxValue;
            var now = _time.GetUtcNow();
            while (_schedule.Count > 0 && _schedule.Min is { } first && first.DueAt <= now)
            {
                _schedule.Remove(first);
                first.TryLeavePending(ScheduledEvent.Due);
                _moving++;
                (due ??= new List<ScheduledEvent>()).Add(first);
            }
            if (_schedule.Count > 0 && _schedule.Min is { } next)
            {
                // Also when the tick came early: wait for the rest.
                ArmScheduleTimer(next.DueAt, now);
            }
        }
        if (due is null)
        {
            return;
        }
        foreach (var scheduled in due)
        {
            MoveToQueue(scheduled);
        }
    }

    /// <summary>
    /// A due event enters its lane. It was accepted when it was scheduled, so a full lane does not reject it: it waits for
    /// room as a producer in <see cref="QueueFullMode.Wait"/> does (in a drop mode, the lane drops as for any event).
    /// </summary>
    private void MoveToQueue(ScheduledEvent scheduled)
    {
        var envelope = scheduled.Envelope;
        if (_laneCounts)
        {
            // The lane counts the event as accepted before it leaves the pending count.
            if (TryWrite(in envelope, scheduled.Lane, out var target))
            {
                Interlocked.Decrement(ref _scheduleCounters.Pending);
                scheduled.SetState(ScheduledEvent.Enqueued);
                MoveSettled();
                return;
            }
            if (!_stopping)
            {
                Interlocked.Increment(ref _producer.Waiting);
                Interlocked.Decrement(ref _scheduleCounters.Pending);
                _ = MoveWhenRoomAsync(scheduled, target);
                return;
            }
        }
        else
        {
            Interlocked.Increment(ref _producer.Accepted);
            if (TryWrite(in envelope, scheduled.Lane, out _))
            {
                Interlocked.Decrement(ref _scheduleCounters.Pending);
                scheduled.SetState(ScheduledEvent.Enqueued);
                MoveSettled();
                return;
            }
            Interlocked.Decrement(ref _producer.Accepted);
        }
        // The loop is stopping: the lanes take nothing more.
        ReturnScheduled(scheduled, ref _scheduleCounters.Pending);
        MoveSettled();
    }

    private async Task MoveWhenRoomAsync(ScheduledEvent scheduled, int lane)
    {
        try
        {
            await _lanes[lane].WriteAsync(scheduled.Envelope, CancellationToken.None).ConfigureAwait(false);
            scheduled.SetState(ScheduledEvent.Enqueued);
            Interlocked.Decrement(ref _producer.Waiting);
        }
        catch (Exception)
        {
            // The lane was completed by a stop while the event waited for room.
            ReturnScheduled(scheduled, ref _producer.Waiting);
        }
        finally
        {
            MoveSettled();
        }
    }

    /// <summary>Returns a scheduled event undelivered (a stop); <paramref name="holder"/> is the count that held it as accepted until now.</summary>
    private void ReturnScheduled(ScheduledEvent scheduled, ref long holder)
    {
        var envelope = scheduled.Envelope;
        DispatchLoopLog.Undelivered(_logger, envelope.Route.EventName, envelope.EventId, envelope.SlotCount);
        _undelivered.Enqueue(new UndeliveredEvent(envelope.Event, envelope.Route.EventName, envelope.EventId, envelope.AllSlots()) { DueAt = scheduled.DueAt });
        Interlocked.Increment(ref _scheduleCounters.Returned);
        Interlocked.Decrement(ref holder);
        scheduled.SetState(ScheduledEvent.Returned);
    }

    private void MoveSettled()
    {
        lock (_scheduleLock)
        {
            if (--_moving == 0 && _scheduleClosed)
            {
                _movesSettled?.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Part of a stop, after the lanes are completed: nothing more is scheduled, and every pending event is returned
    /// undelivered now (a stop delivers what is queued, not what would become due while it drains).
    /// </summary>
    private void CloseSchedule()
    {
        List<ScheduledEvent> pending;
        lock (_scheduleLock)
        {
            if (_scheduleClosed)
            {
                return;
            }
            _scheduleClosed = true;
            _scheduleTimer?.Dispose();
            pending = new List<ScheduledEvent>(_schedule.Count);
            foreach (var scheduled in _schedule)
            {
                if (scheduled.TryLeavePending(ScheduledEvent.Returned))
                {
                    pending.Add(scheduled);
                }
            }
            _schedule.Clear();
            if (_moving > 0)
            {
                _movesSettled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        foreach (var scheduled in pending)
        {
            ReturnScheduled(scheduled, ref _scheduleCounters.Pending);
        }
    }

    /// <summary>Completes when no due event is still on its way into a lane (read after <see cref="CloseSchedule"/>).</summary>
    private Task ScheduleSettled()
    {
        lock (_scheduleLock)
        {
            return _movesSettled?.Task ?? Task.CompletedTask;
        }
    }

    /// <summary>First by due time, then by order of scheduling: never equal for two events, as a set needs.</summary>
    private sealed class ScheduleOrder : IComparer<ScheduledEvent>
    {
        public static readonly ScheduleOrder Instance = new();

        public int Compare(ScheduledEvent? x, ScheduledEvent? y)
        {
            var byTime = x!.DueAt.UtcTicks.CompareTo(y!.DueAt.UtcTicks);
            return byTime != 0 ? byTime : x.Sequence.CompareTo(y.Sequence);
        }
    }

    /// <summary>Counters of the schedule, written under its lock or by a due event's move; padded away from the rest.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct ScheduleCounters
    {
        [FieldOffset(64)] public long Scheduled; // ever accepted with a later due time
        [FieldOffset(72)] public long Pending;   // accepted, waiting for their time (part of Accepted)
        [FieldOffset(80)] public long Canceled;  // an outcome, and part of Accepted
        [FieldOffset(88)] public long Returned;  // returned by a stop from the schedule: an outcome, and part of Accepted
    }
}
