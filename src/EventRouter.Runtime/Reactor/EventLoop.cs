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
public sealed partial class EventLoop : IDisposable, IAsyncDisposable
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
}
