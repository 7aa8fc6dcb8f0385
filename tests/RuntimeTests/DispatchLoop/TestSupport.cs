using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using Microsoft.Extensions.Logging;

namespace EventRouter.Tests.DispatchLoop;

/// <summary>A manual clock: time moves only in <see cref="Advance"/>, and due timers fire then.</summary>
internal sealed class FakeTimeProvider : TimeProvider
{
    private readonly object _lock = new();
    private readonly List<FakeTimer> _timers = new();
    private readonly List<TimeSpan> _scheduled = new();
    private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _now;
        }
    }

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Timers armed now (Task.Delay, WaitAsync timeouts, CancellationTokenSource timeouts).</summary>
    public int ArmedTimers
    {
        get
        {
            lock (_lock)
            {
                return _timers.FindAll(t => t.DueAt is not null).Count;
            }
        }
    }

    /// <summary>Every finite due time a timer was armed with, in order.</summary>
    public IReadOnlyList<TimeSpan> ScheduledDelays
    {
        get
        {
            lock (_lock)
            {
                return _scheduled.ToArray();
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new FakeTimer(this, callback, state);
        lock (_lock)
        {
            _timers.Add(timer);
        }
        timer.Change(dueTime, period);
        return timer;
    }

    public Task WaitForArmedTimersAsync(int count = 1) => Eventually.WaitUntilAsync(() => ArmedTimers >= count, $"{count} armed timer(s)");

    public void Advance(TimeSpan by)
    {
        lock (_lock)
        {
            _now += by;
        }
        while (true)
        {
            FakeTimer? due = null;
            lock (_lock)
            {
                foreach (var t in _timers)
                {
                    if (t.DueAt is { } at && at <= _now && (due is null || at < due.DueAt))
                    {
                        due = t;
                    }
                }
                if (due is null)
                {
                    return;
                }
                due.DueAt = due.Period is { } p ? due.DueAt + p : null;
            }
            // Outside the lock: the callback completes tasks whose continuations may arm new timers.
            due.Callback(due.State);
        }
    }

    private sealed class FakeTimer : ITimer
    {
        private readonly FakeTimeProvider _owner;

        public FakeTimer(FakeTimeProvider owner, TimerCallback callback, object? state)
        {
            _owner = owner;
            Callback = callback;
            State = state;
        }

        public TimerCallback Callback { get; }

        public object? State { get; }

        public DateTimeOffset? DueAt { get; set; }

        public TimeSpan? Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (_owner._lock)
            {
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    DueAt = null;
                }
                else
                {
                    DueAt = _owner._now + dueTime;
                    _owner._scheduled.Add(dueTime);
                }
                Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
            }
            return true;
        }

        public void Dispose()
        {
            lock (_owner._lock)
            {
                DueAt = null;
                _owner._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}

internal static class Eventually
{
    /// <summary>Polls a condition; the 10 s limit only turns a hang into a readable failure, it is not a timing assertion.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.ElapsedMilliseconds > timeoutMs)
            {
                throw new TimeoutException($"Timed out waiting for: {what}");
            }
            await Task.Delay(2);
        }
    }
}

/// <summary>Collects dead letters.</summary>
internal sealed class ListDeadLetterSink : IDeadLetterSink
{
    public ConcurrentQueue<DeadLetter> Letters { get; } = new();

    public ValueTask WriteAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
    {
        Letters.Enqueue(deadLetter);
        return default;
    }
}

/// <summary>Collects log entries.</summary>
internal sealed class ListLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<(LogLevel Level, int EventId, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new ListLogger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((logLevel, eventId.Id, formatter(state, exception), exception));
    }
}

internal static class LoopAssert
{
    /// <summary>The accounting invariant, checked once the loop has stopped.</summary>
    public static void Balanced(DispatchLoopCounts counts)
    {
        Assert.Equal(counts.Accepted, counts.Handled + counts.DeadLettered + counts.Dropped + counts.ReturnedUndelivered);
        Assert.Equal(0, counts.InFlight);
    }
}

/// <summary>
/// The dispatch loop tests start worker lanes and poll for conditions; run alone, they neither load the thread pool
/// under other suites' concurrency tests nor get starved by them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DispatchLoopCollection
{
    public const string Name = "DispatchLoop";
}
