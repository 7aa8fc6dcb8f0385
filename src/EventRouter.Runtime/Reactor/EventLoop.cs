using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventRouter.Reactor;

/// <summary>
/// One dedicated thread that runs, in order, due timers and posted work (events, continuations, I/O completions).
/// Code that awaits on the loop resumes on the loop, so state owned by the loop needs no locks.
/// </summary>
/// <remarks>
/// Each iteration runs the due timers, then up to a batch of posted work items, then parks until the next timer is
/// due or something is posted. Posting from any thread is a lock-free enqueue of a struct plus, only when the loop
/// is parked, one wake-up signal: nothing is allocated per post in steady state.
/// </remarks>
public sealed class EventLoop : IDisposable, IAsyncDisposable
{
    // A bounded batch lets due timers run between bursts of posted work instead of starving behind them.
    private const int MaxBatch = 1024;

    private readonly ConcurrentQueue<WorkItem> _queue = new();
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly TimerHeap _timers = new();
    private readonly Thread _thread;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IEventPublisher? _publisher;
    private readonly TaskCompletionSource _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly EventLoopSynchronizationContext _syncContext;
    private readonly Timer? _watchdog;
    private readonly long _blockedThresholdTicks;

    // Timestamp units per TimeSpan tick when that is a whole number (the system clock: 100 per tick at 1 GHz;
    // 1 for test clocks), so arming a timer converts with one multiplication; 0 otherwise.
    private readonly long _timestampTicksPerTick;

    // Far enough to never fire, near enough that adding it to a timestamp cannot overflow.
    private const long MaxDelayTimestampTicks = long.MaxValue / 4;

    private int _parked;
    private int _stopRequested;
    private int _terminatedFlag;
    private int _cancelledTimers;

    // Blocked-loop detection: the loop bumps _progress for every item; the watchdog sees a busy loop whose progress
    // has not moved. A plain increment per item is cheaper than reading the clock per item.
    private long _progress;
    private int _busy;
    private long _watchProgress = -1;
    private long _watchSince;
    private bool _watchReported;
    private long _blockedCount;

    private int _watching;
    private int _probePending;
    private long _probePostedAt;
    private long _lagTicks;
    private readonly IDisposable _lagGauge;

    /// <summary>Creates the loop and starts its thread.</summary>
    /// <param name="options">Settings; defaults when null.</param>
    public EventLoop(EventLoopOptions? options = null)
    {
        options ??= new EventLoopOptions();
        Name = options.Name;
        _time = options.TimeProvider ?? TimeProvider.System;
        var frequency = _time.TimestampFrequency;
        _timestampTicksPerTick = frequency % TimeSpan.TicksPerSecond == 0 ? frequency / TimeSpan.TicksPerSecond : 0;
        _publisher = options.Publisher;
        _logger = options.LoggerFactory?.CreateLogger("EventRouter.Reactor") ?? NullLogger.Instance;
        _syncContext = new EventLoopSynchronizationContext(this);
        PipeScheduler = new EventLoopPipeScheduler(this);
        BlockedThreshold = options.BlockedThreshold;
        _lagGauge = Telemetry.EventLoopLag.Add(this, Name, static loop => loop.Lag.TotalSeconds);

        _thread = new Thread(static s => ((EventLoop)s!).Run())
        {
            IsBackground = true,
            Name = options.Name,
        };
        _thread.Start(this);

        if (BlockedThreshold > TimeSpan.Zero && BlockedThreshold != Timeout.InfiniteTimeSpan)
        {
            _blockedThresholdTicks = (long)(BlockedThreshold.TotalSeconds * Stopwatch.Frequency);
            // Four checks per threshold: a block is reported at most a quarter threshold late.
            var interval = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, BlockedThreshold.Ticks / 4));
            _watchdog = new Timer(static s => ((EventLoop)s!).Watch(), this, interval, interval);
        }
    }

    /// <summary>The loop's name (also its thread's name).</summary>
    public string Name { get; }

    /// <summary>The blocked-loop threshold this loop runs with.</summary>
    public TimeSpan BlockedThreshold { get; }

    /// <summary>True when called on this loop's thread.</summary>
    public bool IsInLoop => Thread.CurrentThread == _thread;

    /// <summary>How many times the loop has been detected blocked.</summary>
    public long BlockedCount => Interlocked.Read(ref _blockedCount);

    /// <summary>
    /// The loop's most recently measured lag: how long a probe posted by the watchdog waited before the loop ran it.
    /// Zero until the first sample; not sampled when <see cref="EventLoopOptions.BlockedThreshold"/> is infinite.
    /// </summary>
    public TimeSpan Lag => TimeSpan.FromSeconds((double)Interlocked.Read(ref _lagTicks) / Stopwatch.Frequency);

    /// <summary>The number of work items waiting to run.</summary>
    public int PendingWorkCount => _queue.Count;

    /// <summary>The number of timers in the loop's queue, including cancelled ones not yet dropped (loop thread only: exact).</summary>
    public int TimerCount => _timers.Count;

    /// <summary>A task that completes when the loop thread has exited.</summary>
    public Task Completion => _terminated.Task;

    /// <summary>The clock this loop's timers use.</summary>
    public TimeProvider TimeProvider => _time;

    /// <summary>
    /// Raised on a watchdog thread (the loop itself is busy) when one work item has run longer than
    /// <see cref="BlockedThreshold"/>. Raised once per blocking item.
    /// </summary>
    public event EventHandler<EventLoopBlockedEventArgs>? Blocked;

    /// <summary>Schedules pipe continuations onto this loop; used for connections bound to it.</summary>
    internal PipeScheduler PipeScheduler { get; }

    /// <summary>Buffers for the pipes of the connections bound to this loop; created with the first connection.</summary>
    internal BlockMemoryPool MemoryPool => _memoryPool ?? Interlocked.CompareExchange(ref _memoryPool, new BlockMemoryPool(), null) ?? _memoryPool;

    private BlockMemoryPool? _memoryPool;


    /// <summary>Queues a callback to run on the loop. Safe from any thread; allocates nothing in steady state.</summary>
    /// <param name="callback">What to run; pass a static lambda and use <paramref name="state"/> to avoid a closure.</param>
    /// <param name="state">Passed to the callback.</param>
    /// <exception cref="ObjectDisposedException">The loop has stopped.</exception>
    public void Post(Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (!TryPost(callback, state))
        {
            throw new ObjectDisposedException(Name, "The event loop has stopped.");
        }
    }

    /// <summary>Queues an action to run on the loop. Safe from any thread.</summary>
    /// <exception cref="ObjectDisposedException">The loop has stopped.</exception>
    public void Post(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (!TryPostCore(new WorkItem(action, null)))
        {
            throw new ObjectDisposedException(Name, "The event loop has stopped.");
        }
    }

    /// <summary>
    /// Publishes an event on the loop thread through <see cref="EventLoopOptions.Publisher"/>, after the work already
    /// queued. Allocates one small work item per call. Failures are logged.
    /// </summary>
    /// <exception cref="InvalidOperationException">No publisher is configured.</exception>
    /// <exception cref="ObjectDisposedException">The loop has stopped.</exception>
    public void Publish<TEvent>(TEvent @event)
    {
        if (_publisher is null)
        {
            throw new InvalidOperationException("This event loop has no EventLoopOptions.Publisher.");
        }
        Post(static s => ((PublishItem<TEvent>)s!).Run(), new PublishItem<TEvent>(this, @event));
    }

    /// <summary>Runs an action on the loop and completes when it has run (with its exception, if it threw).</summary>
    public Task InvokeAsync(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return InvokeAsync(() =>
        {
            action();
            return true;
        });
    }

    /// <summary>Runs a function on the loop and returns its result.</summary>
    public Task<T> InvokeAsync<T>(Func<T> func)
    {
        ArgumentNullException.ThrowIfNull(func);
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            try
            {
                tcs.TrySetResult(func());
            }
            catch (Exception ex)
            {
                tcs.TrySetException(ex);
            }
        });
        return tcs.Task;
    }

    /// <summary>Starts an asynchronous function on the loop; its awaits resume on the loop. Completes when it does.</summary>
    public Task InvokeAsync(Func<Task> func)
    {
        ArgumentNullException.ThrowIfNull(func);
        return InvokeAsync<Task>(func).Unwrap();
    }

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

    /// <summary>Asks the loop to stop once the work already posted has run; pending timers are dropped.</summary>
    public void Shutdown()
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            _watchdog?.Dispose();
            _lagGauge.Dispose();
            Wake();
        }
    }

    /// <summary>Stops the loop and waits for its thread (unless called on the loop itself).</summary>
    public void Dispose()
    {
        Shutdown();
        if (!IsInLoop)
        {
            _thread.Join();
        }
    }

    /// <summary>Stops the loop and waits asynchronously for its thread to exit.</summary>
    public ValueTask DisposeAsync()
    {
        Shutdown();
        return IsInLoop ? default : new ValueTask(_terminated.Task);
    }

    internal bool TryPost(Action<object?> callback, object? state) => TryPostCore(new WorkItem(callback, state));

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

    private bool TryPostCore(in WorkItem item)
    {
        if (Volatile.Read(ref _terminatedFlag) != 0)
        {
            return false;
        }
        _queue.Enqueue(item);
        if (Volatile.Read(ref _terminatedFlag) != 0)
        {
            // The loop exited between the check and the enqueue: it will never see this item, so run whatever is
            // left on the thread pool rather than lose it.
            DrainOrphans();
            return true;
        }
        Wake();
        return true;
    }

    private void Wake()
    {
        // Enqueue is a full fence, and the loop publishes _parked with a full fence before re-checking the queue:
        // one of the two always sees the other, so a wake-up is never lost. Only a parked loop costs a signal.
        if (Volatile.Read(ref _parked) == 1 && Interlocked.Exchange(ref _parked, 0) == 1)
        {
            _wake.Set();
        }
    }

    private void DrainOrphans()
    {
        while (_queue.TryDequeue(out var item))
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s =>
            {
                try
                {
                    Invoke(s.item);
                }
                catch (Exception ex)
                {
                    // Same contract as on the loop: a throwing item is logged, never allowed to crash the process.
                    ReactorLog.WorkItemFailed(s.loop._logger, s.loop.Name, ex);
                }
            }, (loop: this, item), preferLocal: false);
        }
    }

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

    private void Run()
    {
        SynchronizationContext.SetSynchronizationContext(_syncContext);
        try
        {
            while (true)
            {
                Volatile.Write(ref _busy, 1);
                RunDueTimers();
                var ran = RunPosted();
                if (ran == MaxBatch)
                {
                    continue;
                }
                if (Volatile.Read(ref _stopRequested) != 0 && _queue.IsEmpty)
                {
                    break;
                }
                Park();
            }
        }
        finally
        {
            Volatile.Write(ref _terminatedFlag, 1);
            Volatile.Write(ref _busy, 0);
            // Work posted while we were deciding to exit still runs, just not on this thread.
            DrainOrphans();
            _terminated.TrySetResult();
        }
    }

    private int RunPosted()
    {
        var ran = 0;
        while (ran < MaxBatch && _queue.TryDequeue(out var item))
        {
            ran++;
            _progress++;
            try
            {
                Invoke(item);
            }
            catch (Exception ex)
            {
                ReactorLog.WorkItemFailed(_logger, Name, ex);
            }
        }
        return ran;
    }

    private static void Invoke(in WorkItem item)
    {
        // Three shapes arrive here: our own (Action<object?>, state), SynchronizationContext posts from await
        // continuations, and plain actions. Exact type tests on sealed delegate types are cheap.
        switch (item.Callback)
        {
            case Action<object?> withState:
                withState(item.State);
                break;
            case SendOrPostCallback posted:
                posted(item.State);
                break;
            default:
                ((Action)item.Callback)();
                break;
        }
    }

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

    private void PublishOnLoop<TEvent>(TEvent @event)
    {
        ValueTask pending;
        try
        {
            pending = _publisher!.PublishAsync(@event);
        }
        catch (Exception ex)
        {
            ReactorLog.PublishFailed(_logger, Name, typeof(TEvent).Name, ex);
            return;
        }
        if (!pending.IsCompletedSuccessfully)
        {
            _ = ObservePublishAsync(pending, typeof(TEvent).Name);
        }
    }

    private async Task ObservePublishAsync(ValueTask pending, string eventType)
    {
        try
        {
            await pending;
        }
        catch (Exception ex)
        {
            ReactorLog.PublishFailed(_logger, Name, eventType, ex);
        }
    }

    private void Park()
    {
        _wake.Reset();
        Interlocked.Exchange(ref _parked, 1);
        if (!_queue.IsEmpty || Volatile.Read(ref _stopRequested) != 0)
        {
            Volatile.Write(ref _parked, 0);
            return;
        }
        var timeout = Timeout.Infinite;
        if (_timers.Count > 0)
        {
            var delta = _timers.Peek().Due - _time.GetTimestamp();
            if (delta <= 0)
            {
                Volatile.Write(ref _parked, 0);
                return;
            }
            var ms = Math.Ceiling(delta * 1000.0 / _time.TimestampFrequency);
            timeout = ms >= int.MaxValue ? int.MaxValue - 1 : (int)ms;
        }
        Volatile.Write(ref _busy, 0);
        _wake.Wait(timeout);
        Volatile.Write(ref _parked, 0);
    }

    private void Watch()
    {
        // Timer callbacks can overlap when the pool is slow; the watch state is single-threaded by design.
        if (Interlocked.Exchange(ref _watching, 1) != 0)
        {
            return;
        }
        try
        {
            WatchCore();
        }
        finally
        {
            Volatile.Write(ref _watching, 0);
        }
    }

    private void WatchCore()
    {
        var now = Stopwatch.GetTimestamp();
        if (Volatile.Read(ref _busy) == 0)
        {
            _watchProgress = -1;
        }
        else
        {
            var progress = Volatile.Read(ref _progress);
            if (progress != _watchProgress)
            {
                _watchProgress = progress;
                _watchSince = now;
                _watchReported = false;
            }
            else if (!_watchReported && now - _watchSince >= _blockedThresholdTicks)
            {
                _watchReported = true;
                ReportBlocked(TimeSpan.FromSeconds((double)(now - _watchSince) / Stopwatch.Frequency));
            }
        }

        // Lag probe: one in flight at a time, so a blocked loop does not pile probes up.
        if (Interlocked.CompareExchange(ref _probePending, 1, 0) == 0)
        {
            Volatile.Write(ref _probePostedAt, now);
            if (!TryPost(static s => ((EventLoop)s!).OnProbe(), this))
            {
                Volatile.Write(ref _probePending, 0);
            }
        }
    }

    private void OnProbe()
    {
        var lag = Stopwatch.GetTimestamp() - Volatile.Read(ref _probePostedAt);
        Interlocked.Exchange(ref _lagTicks, lag);
        ReactorMetrics.LoopLag.Record(lag * 1000.0 / Stopwatch.Frequency);
        Volatile.Write(ref _probePending, 0);
    }

    private void ReportBlocked(TimeSpan blockedFor)
    {
        Interlocked.Increment(ref _blockedCount);
        ReactorMetrics.LoopBlocked.Add(1);
        ReactorLog.LoopBlocked(_logger, Name, blockedFor.TotalMilliseconds, BlockedThreshold.TotalMilliseconds);
        try
        {
            Blocked?.Invoke(this, new EventLoopBlockedEventArgs(this, blockedFor));
        }
        catch (Exception ex)
        {
            // A faulty subscriber must not kill the watchdog's thread-pool thread.
            ReactorLog.WorkItemFailed(_logger, Name, ex);
        }
    }

    private readonly struct WorkItem
    {
        public WorkItem(object callback, object? state)
        {
            Callback = callback;
            State = state;
        }

        public readonly object Callback;
        public readonly object? State;
    }

    private sealed class PublishItem<TEvent>(EventLoop loop, TEvent @event)
    {
        public void Run() => loop.PublishOnLoop(@event);
    }

    /// <summary>Makes <c>await</c> inside loop code resume on the loop.</summary>
    private sealed class EventLoopSynchronizationContext(EventLoop loop) : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state)
        {
            if (!loop.TryPostCore(new WorkItem(d, state)))
            {
                // The loop is gone: run the continuation anyway instead of leaving an await hanging forever.
                ThreadPool.UnsafeQueueUserWorkItem(static s => s.d(s.state), (d, state), preferLocal: false);
            }
        }

        public override void Send(SendOrPostCallback d, object? state)
        {
            if (loop.IsInLoop)
            {
                d(state);
                return;
            }
            loop.InvokeAsync(() => d(state)).GetAwaiter().GetResult();
        }

        public override SynchronizationContext CreateCopy() => this;
    }

    private sealed class EventLoopPipeScheduler(EventLoop loop) : PipeScheduler
    {
        public override void Schedule(Action<object?> action, object? state)
        {
            if (!loop.TryPost(action, state))
            {
                System.Threading.ThreadPool.UnsafeQueueUserWorkItem(action, state, preferLocal: false);
            }
        }
    }
}
