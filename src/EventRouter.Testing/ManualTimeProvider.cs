using System;
using System.Collections.Generic;
using System.Threading;

namespace EventRouter.Testing;

/// <summary>
/// A <see cref="TimeProvider"/> whose clock moves only when the test says so. Timers created through it (retry
/// backoff, request timeouts, loop timers) fire synchronously inside <see cref="Advance"/>, in due-time order.
/// </summary>
/// <remarks>Microsoft.Extensions.TimeProvider.Testing offers the same; this one has no dependency.</remarks>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<ManualTimer> _timers = new();
    private DateTimeOffset _now;
    private long _sequence;

    /// <summary>Creates a clock starting at <paramref name="start"/> (default: 2000-01-01 UTC).</summary>
    public ManualTimeProvider(DateTimeOffset? start = null) => _now = start ?? new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    /// <summary>How many timers are armed (due in the future).</summary>
    public int ActiveTimers
    {
        get
        {
            lock (_gate)
            {
                return _timers.Count;
            }
        }
    }

    /// <summary>Moves the clock forward, firing every timer that falls due, in order, each at its own due time.</summary>
    public void Advance(TimeSpan delta)
    {
        if (delta < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "Time only moves forward.");
        }
        DateTimeOffset target;
        lock (_gate)
        {
            target = _now + delta;
        }
        while (true)
        {
            ManualTimer? next;
            lock (_gate)
            {
                next = null;
                foreach (var timer in _timers)
                {
                    if (timer.Due <= target && (next is null || timer.Due < next.Due || (timer.Due == next.Due && timer.Order < next.Order)))
                    {
                        next = timer;
                    }
                }
                if (next is null)
                {
                    _now = target;
                    return;
                }
                _now = next.Due;
                next.Rearm();
            }
            // Callbacks run outside the lock: they may create, change or dispose timers.
            next.Fire();
        }
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private TimeSpan _period;

        public DateTimeOffset Due { get; private set; }

        public long Order { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._gate)
            {
                owner._timers.Remove(this);
                _period = period;
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    return true;
                }
                Due = owner._now + (dueTime < TimeSpan.Zero ? TimeSpan.Zero : dueTime);
                Order = owner._sequence++;
                owner._timers.Add(this);
                return true;
            }
        }

        /// <summary>Called under the owner's lock when the timer fires: periodic timers re-arm, one-shot ones leave.</summary>
        public void Rearm()
        {
            owner._timers.Remove(this);
            if (_period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan)
            {
                Due += _period;
                Order = owner._sequence++;
                owner._timers.Add(this);
            }
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (owner._gate)
            {
                owner._timers.Remove(this);
            }
        }

        public System.Threading.Tasks.ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
