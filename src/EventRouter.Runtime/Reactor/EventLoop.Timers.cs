using System;
using System.Diagnostics;
using System.Threading;

namespace EventRouter.Reactor;

public sealed partial class EventLoop
{
    /// <summary>Arms a one-shot timer whose callback runs on the loop when <paramref name="dueTime"/> has passed.</summary>
    /// <param name="dueTime">Delay from now; zero runs it at the loop's next timer phase.</param>
    /// <param name="callback">Runs on the loop thread.</param>
    /// <param name="state">Passed to the callback.</param>
    public LoopTimer Schedule(TimeSpan dueTime, Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return Arm(dueTime, TimeSpan.Zero, callback, state, name: null);
    }

    /// <summary>Arms a periodic timer: first after <paramref name="dueTime"/>, then every <paramref name="period"/> (fixed rate).</summary>
    /// <param name="dueTime">Delay before the first run.</param>
    /// <param name="period">Interval between runs; must be positive.</param>
    /// <param name="callback">Runs on the loop thread.</param>
    /// <param name="state">Passed to the callback.</param>
    public LoopTimer Schedule(TimeSpan dueTime, TimeSpan period, Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (period <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "A periodic timer needs a positive period.");
        }
        return Arm(dueTime, period, callback, state, name: null);
    }

    /// <summary>
    /// Arms a timer that publishes <see cref="TimerFired"/> through <see cref="EventLoopOptions.Publisher"/> on the
    /// loop: once, or every <paramref name="period"/> when it is positive.
    /// </summary>
    /// <param name="name">Carried in the event, so listeners can tell timers apart.</param>
    /// <param name="dueTime">Delay before the first event.</param>
    /// <param name="period">Interval between events; <see cref="TimeSpan.Zero"/> for a one-shot timer.</param>
    /// <exception cref="InvalidOperationException">No publisher is configured.</exception>
    public LoopTimer ScheduleEvent(string name, TimeSpan dueTime, TimeSpan period = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_publisher is null)
        {
            throw new InvalidOperationException("This event loop has no EventLoopOptions.Publisher.");
        }
        if (period < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "The period cannot be negative.");
        }
        return Arm(dueTime, period, s_publishTimer, null, name);
    }

    /// <summary>Re-arms a fired one-shot timer for <paramref name="dueTime"/> from now (loop thread only).</summary>
    internal bool Rearm(LoopTimer timer, TimeSpan dueTime)
    {
        Debug.Assert(IsInLoop);
        if (!timer.TryRearm())
        {
            return false;
        }
        timer.Due = _time.GetTimestamp() + ToTimestampTicks(dueTime);
        _timers.Insert(timer);
        return true;
    }

    internal void OnTimerCancelled() => Interlocked.Increment(ref _cancelledTimers);

    private LoopTimer Arm(TimeSpan dueTime, TimeSpan period, object callback, object? state, string? name)
    {
        if (dueTime < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(dueTime), dueTime, "The due time cannot be negative.");
        }
        var timer = new LoopTimer(this, _time.GetTimestamp() + ToTimestampTicks(dueTime),
            period > TimeSpan.Zero ? Math.Max(1, ToTimestampTicks(period)) : 0, callback, state, name);
        if (IsInLoop)
        {
            _timers.Insert(timer);
        }
        else
        {
            Post(static s =>
            {
                var t = (LoopTimer)s!;
                if (!t.IsCancelled)
                {
                    t.Loop._timers.Insert(t);
                }
            }, timer);
        }
        return timer;
    }

    private long ToTimestampTicks(TimeSpan span) =>
        span == TimeSpan.Zero ? 0
        : _timestampTicksPerTick > 0
            ? (span.Ticks <= MaxDelayTimestampTicks / _timestampTicksPerTick ? span.Ticks * _timestampTicksPerTick : MaxDelayTimestampTicks)
        : (long)Math.Ceiling(span.Ticks * (double)_time.TimestampFrequency / TimeSpan.TicksPerSecond);

    private void RunDueTimers()
    {
        var cancelled = Volatile.Read(ref _cancelledTimers);
        if (cancelled > 64 && cancelled > _timers.Count / 2)
        {
            // Most of the heap is dead weight after a mass cancellation: rebuild it in O(n).
            var removed = _timers.RemoveCancelled();
            Interlocked.Add(ref _cancelledTimers, -Math.Min(removed, cancelled));
        }
        if (_timers.Count == 0)
        {
            return;
        }
        var now = _time.GetTimestamp();
        while (_timers.Count > 0)
        {
            var timer = _timers.Peek();
            if (timer.IsCancelled)
            {
                _timers.Pop();
                if (Interlocked.Decrement(ref _cancelledTimers) < 0)
                {
                    Interlocked.Exchange(ref _cancelledTimers, 0);
                }
                continue;
            }
            if (timer.Due > now)
            {
                break;
            }
            _timers.Pop();
            if (timer.Period > 0)
            {
                // Fixed rate: a late loop catches up missed periods instead of drifting.
                timer.Due += timer.Period;
                _timers.Insert(timer);
            }
            else if (!timer.TryComplete())
            {
                continue;
            }
            timer.FireCountValue++;
            _progress++;
            try
            {
                switch (timer.Callback)
                {
                    case Action<object?> callback:
                        callback(timer.State);
                        break;
                    case Action<LoopTimer> timerCallback:
                        timerCallback(timer);
                        break;
                }
            }
            catch (Exception ex)
            {
                ReactorLog.WorkItemFailed(_logger, Name, ex);
            }
        }
    }

    private static readonly Action<LoopTimer> s_publishTimer = static t => t.Loop.PublishOnLoop(new TimerFired(t.Name!, t.FireCountValue, t));
}
