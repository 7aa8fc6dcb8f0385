using System;
using System.Diagnostics;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EventRouter.DispatchLoop;

/// <summary>
/// Background delivery of events through the generated dispatch table: a bounded queue split into worker lanes,
/// strict order per partition key, per-listener retries with backoff, idempotency, dead letters and a graceful drain.
/// </summary>
/// <remarks>
/// Each lane is a bounded queue (a <see cref="Channel{T}"/> under a bound the lane keeps) with one worker. An event goes to the lane of its partition key
/// (else of its id, so that copies of one event never race; else round-robin), and a lane handles one event at a
/// time, retries included: that is what keeps events of one key in order. Listeners of an event run one after another;
/// each is tracked on its own, and only the failed ones are retried.
/// </remarks>
public sealed partial class EventDispatchLoop : IHostedService, IAsyncDisposable, IDisposable
{
    private readonly EventDispatcherBase _dispatcher;
    private readonly IServiceProvider? _services;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lane[] _lanes;
    private readonly int _laneCapacity;
    private readonly QueueFullMode _fullMode;
    private readonly bool _dropMode;
    private readonly bool _laneCounts; // Wait and Reject: lanes keep their bound and count what they accept
    private readonly RetryPolicy _retryPolicy;
    private readonly Dictionary<Type, RetryPolicy> _listenerRetryPolicies;
    private readonly TimeSpan _deliveryTimeout;
    private readonly bool _hasDeliveryTimeout;
    private readonly TimeSpan _drainTimeout;
    private readonly IIdempotencyStore _idempotency;
    private readonly IDeadLetterSink _deadLetters;

    // Calls abandoned after a delivery timeout that still run, per event id and listener: a later attempt waits for them.
    private readonly ConcurrentDictionary<(string EventId, string Listener), Task> _abandoned = new();
    private readonly Action<object>? _onDropped;
    private readonly Action<IReadOnlyList<UndeliveredEvent>>? _onUndelivered;
    private readonly CancellationTokenSource _abort = new();
    private readonly CancellationToken _abortToken;
    private readonly ConcurrentQueue<UndeliveredEvent> _undelivered = new();
    private readonly object _gate = new();
    private Task[]? _workers;
    private Task<IReadOnlyList<UndeliveredEvent>>? _stopTask;
    private volatile bool _stopping;
    private ProducerCounters _producer; // written by producers; padded away from everything the workers write

    private static long s_instances;
    private readonly IDisposable[] _gauges;

    /// <summary>Creates a loop over a dispatcher. Call <see cref="Start"/> (or let the host do it) to begin delivering.</summary>
    /// <param name="dispatcher">The generated dispatcher; its <see cref="EventDispatcherBase.Services"/> provide DI scopes.</param>
    /// <param name="options">Settings; defaults when null. Read once, here.</param>
    public EventDispatchLoop(EventDispatcherBase dispatcher, DispatchLoopOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        options = options?.Clone() ?? new DispatchLoopOptions();
        options.Validate();

        _dispatcher = dispatcher;
        _services = dispatcher.Services;
        _logger = dispatcher.Logger;
        _time = options.TimeProvider ?? TimeProvider.System;
        _fullMode = options.FullMode;
        _dropMode = _fullMode is QueueFullMode.DropOldest or QueueFullMode.DropNewest or QueueFullMode.DropWrite;
        _laneCounts = !_dropMode;
        _retryPolicy = options.RetryPolicy;
        _listenerRetryPolicies = new Dictionary<Type, RetryPolicy>(options.ListenerRetryPolicies);
        _deliveryTimeout = options.DeliveryTimeout;
        _hasDeliveryTimeout = _deliveryTimeout != Timeout.InfiniteTimeSpan;
        _drainTimeout = options.DrainTimeout;
        _idempotency = options.IdempotencyStore ?? new InMemoryIdempotencyStore(options.IdempotencyCapacity);
        _deadLetters = options.DeadLetterSink ?? new LoggingDeadLetterSink(_logger);
        _journal = options.Journal;
        _onDropped = options.OnDropped;
        _onUndelivered = options.OnUndelivered;
        _abortToken = _abort.Token;

        // Observable gauges read these when a metrics listener collects; nothing is measured otherwise.
        var instance = "dispatch-loop-" + Interlocked.Increment(ref s_instances).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _gauges = new[]
        {
            Telemetry.DispatchLoopQueueDepth.Add(this, instance, static loop => loop.QueuedCount),
            Telemetry.DispatchLoopInFlight.Add(this, instance, static loop => loop.Counts.InFlight),
        };

        var laneCount = options.MaxParallelism;
        _laneCapacity = Math.Max(1, options.Capacity / laneCount);
        Action<Envelope> itemDropped = OnItemDropped; // one delegate for the loop's lifetime, not one per event
        _lanes = new Lane[laneCount];
        for (var i = 0; i < laneCount; i++)
        {
            _lanes[i] = new Lane(_laneCapacity, _fullMode, itemDropped);
        }
    }

    /// <summary>The total queue capacity (the per-lane capacity times the number of lanes).</summary>
    public int Capacity => _laneCapacity * _lanes.Length;

    /// <summary>The number of events waiting in the queue now (not counting the ones being delivered).</summary>
    public int QueuedCount
    {
        get
        {
            var count = 0;
            foreach (var lane in _lanes)
            {
                count += lane.Count;
            }
            return count;
        }
    }

    /// <summary>A snapshot of the loop's counters.</summary>
    public DispatchLoopCounts Counts
    {
        get
        {
            // Outcomes first, then Accepted: an event is counted as accepted before it can have an outcome, so the
            // snapshot never shows more outcomes than accepted events.
            long handled = 0, deadLettered = 0, returned = 0, retries = 0, deduplicated = 0;
            foreach (var lane in _lanes)
            {
                handled += Interlocked.Read(ref lane.Counters.Handled);
                deadLettered += Interlocked.Read(ref lane.Counters.DeadLettered);
                returned += Interlocked.Read(ref lane.Counters.Returned);
                retries += Interlocked.Read(ref lane.Counters.Retries);
                deduplicated += Interlocked.Read(ref lane.Counters.Deduplicated);
            }
            var dropped = Interlocked.Read(ref _producer.Dropped);
            // Canceled and returned scheduled events never reached a lane: they are outcomes and part of Accepted.
            var canceled = Interlocked.Read(ref _scheduleCounters.Canceled);
            var returnedScheduled = Interlocked.Read(ref _scheduleCounters.Returned);
            returned += returnedScheduled;
            returned += Interlocked.Read(ref _producer.Returned);
            // Accepted is not one counter: a lane that keeps its own bound already counts every event it takes (no
            // second locked increment per event). Waiting producers are read before the lanes, because a waiter's
            // event is counted by its lane before the waiter stops counting it: in this order an event moving from
            // one to the other is seen twice at worst, never missed.
            // A due scheduled event moves from Pending to a lane or Waiting, which count it first: Pending is read before them.
            var accepted = Interlocked.Read(ref _scheduleCounters.Pending) + canceled + returnedScheduled;
            accepted += Interlocked.Read(ref _producer.Waiting);
            foreach (var lane in _lanes)
            {
                accepted += lane.Accepted;
            }
            accepted += Interlocked.Read(ref _producer.Accepted);
            return new DispatchLoopCounts(accepted, handled, deadLettered, dropped, returned, retries, deduplicated)
            {
                Scheduled = Interlocked.Read(ref _scheduleCounters.Scheduled),
                Canceled = canceled,
            };
        }
    }

    /// <summary>
    /// Queues an event, waiting for room when the queue is full and the mode is <see cref="QueueFullMode.Wait"/>.
    /// Completes synchronously when there is room.
    /// </summary>
    /// <param name="event">The event; its runtime type selects the route.</param>
    /// <param name="cancellationToken">Stops waiting for room; the event is then not accepted.</param>
    /// <exception cref="ArgumentNullException"><paramref name="event"/> is null.</exception>
    /// <exception cref="DispatchLoopStoppedException">The loop is stopping or stopped.</exception>
    /// <exception cref="DispatchLoopFullException">The queue is full and the mode is <see cref="QueueFullMode.Reject"/>.</exception>
    /// <exception cref="NoListenerException">Nothing listens to the event and the dispatcher's policy is <see cref="NoListenerPolicy.Throw"/>.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0027", Justification = "The scheduling overloads take a TimeSpan or a DateTimeOffset where this one takes a CancellationToken: no call can mean both.")]
    public ValueTask EnqueueAsync(object @event, CancellationToken cancellationToken = default)
    {
        if (@event is null)
        {
            throw NullEvent();
        }
        if (_stopping)
        {
            throw new DispatchLoopStoppedException();
        }
        if (_journal is not null)
        {
            return EnqueueJournaledAsync(@event, cancellationToken);
        }
        if (!TryPrepare(@event, out var envelope, out var lane))
        {
            return default;
        }
        return EnqueuePrepared(in envelope, lane, cancellationToken);
    }

    /// <summary>The write of <see cref="EnqueueAsync(object, CancellationToken)"/>, also taken by a scheduled event that is due at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ValueTask EnqueuePrepared(in Envelope envelope, int lane, CancellationToken cancellationToken)
    {
        if (_laneCounts)
        {
            if (TryWrite(in envelope, lane, out var target))
            {
                return default;
            }
            if (_stopping)
            {
                throw new DispatchLoopStoppedException();
            }
            if (_fullMode == QueueFullMode.Reject)
            {
                throw new DispatchLoopFullException(envelope.Route.EventName, Capacity);
            }
            Interlocked.Increment(ref _producer.Waiting); // accepted while it waits for room
            return WaitAndWriteAsync(envelope, target, cancellationToken);
        }

        // Drop modes: the write always succeeds (by discarding an event) unless the loop is stopping.
        Interlocked.Increment(ref _producer.Accepted);
        if (TryWrite(in envelope, lane, out _))
        {
            return default;
        }
        Interlocked.Decrement(ref _producer.Accepted);
        throw new DispatchLoopStoppedException();
    }

    /// <summary>
    /// Queues an event if there is room now. In a drop mode it always succeeds (discarding and reporting an event
    /// when full); in <see cref="QueueFullMode.Wait"/> and <see cref="QueueFullMode.Reject"/> it returns false when full.
    /// </summary>
    /// <param name="event">The event; its runtime type selects the route.</param>
    /// <returns>True when the event was accepted (or nothing listens to it and the policy allows that).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="event"/> is null.</exception>
    /// <exception cref="DispatchLoopStoppedException">The loop is stopping or stopped (not reported as false, so that a stopped loop is never mistaken for a full one).</exception>
    /// <exception cref="NoListenerException">Nothing listens to the event and the dispatcher's policy is <see cref="NoListenerPolicy.Throw"/>.</exception>
    /// <exception cref="NotSupportedException">The loop has a <see cref="DispatchLoopOptions.Journal"/>: an event is accepted only once stored, so use <see cref="EnqueueAsync(object, CancellationToken)"/>.</exception>
    public bool TryEnqueue(object @event)
    {
        if (@event is null)
        {
            throw NullEvent();
        }
        if (_journal is not null)
        {
            throw new NotSupportedException("A journaled dispatch loop accepts an event only once it is stored: use EnqueueAsync.");
        }
        if (_stopping)
        {
            throw new DispatchLoopStoppedException();
        }
        if (!TryPrepare(@event, out var envelope, out var lane))
        {
            return true;
        }

        if (!_laneCounts)
        {
            Interlocked.Increment(ref _producer.Accepted);
        }
        if (TryWrite(in envelope, lane, out _))
        {
            return true;
        }
        if (!_laneCounts)
        {
            Interlocked.Decrement(ref _producer.Accepted);
        }
        if (_stopping)
        {
            throw new DispatchLoopStoppedException();
        }
        return false;
    }

    /// <summary>Starts the workers. Events enqueued before are kept and delivered. Calling it again does nothing.</summary>
    /// <exception cref="DispatchLoopStoppedException">The loop was stopped.</exception>
    public void Start()
    {
        lock (_gate)
        {
            if (_stopTask is not null)
            {
                throw new DispatchLoopStoppedException();
            }
            if (_workers is not null)
            {
                return;
            }
            var workers = new Task[_lanes.Length];
            for (var i = 0; i < workers.Length; i++)
            {
                var lane = _lanes[i];
                workers[i] = Task.Run(() => RunLaneAsync(lane));
            }
            _workers = workers;
            StartRecovery();
        }
    }

    /// <summary>
    /// Stops accepting events, lets the queued ones drain for up to <paramref name="timeout"/>, then cancels what is
    /// still running (listeners' tokens, backoff waits) and returns every event not delivered to all its listeners.
    /// Calling it again returns the first call's result.
    /// </summary>
    /// <param name="timeout">How long to drain; <see cref="TimeSpan.Zero"/> stops at once, <see cref="Timeout.InfiniteTimeSpan"/> waits for everything.</param>
    /// <returns>The undelivered events (also passed to <see cref="DispatchLoopOptions.OnUndelivered"/> and logged).</returns>
    public Task<IReadOnlyList<UndeliveredEvent>> StopAsync(TimeSpan timeout) => StopAsync(timeout, CancellationToken.None);

    /// <summary>
    /// Stops as <see cref="StopAsync(TimeSpan)"/> does; cancelling <paramref name="cancellationToken"/> ends the drain
    /// early, as the timeout would (what is still running is cancelled and returned as undelivered).
    /// </summary>
    /// <param name="timeout">How long to drain at most.</param>
    /// <param name="cancellationToken">Ends the drain early.</param>
    /// <returns>The undelivered events.</returns>
    public Task<IReadOnlyList<UndeliveredEvent>> StopAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout != Timeout.InfiniteTimeSpan && timeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The drain timeout must be zero or positive, or Timeout.InfiniteTimeSpan.");
        }
        return StopCore(timeout, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>With a <see cref="DispatchLoopOptions.Journal"/>, completes once the unfinished events are recovered (and fails if they cannot be).</remarks>
    Task IHostedService.StartAsync(CancellationToken cancellationToken)
    {
        Start();
        return _recovery?.WaitAsync(cancellationToken) ?? Task.CompletedTask;
    }

    /// <summary>Drains for up to <see cref="DispatchLoopOptions.DrainTimeout"/>, or until the host's token is cancelled.</summary>
    Task IHostedService.StopAsync(CancellationToken cancellationToken) => StopCore(_drainTimeout, cancellationToken);

    /// <summary>Stops the loop, draining for up to <see cref="DispatchLoopOptions.DrainTimeout"/>.</summary>
    public async ValueTask DisposeAsync() => await StopCore(_drainTimeout, CancellationToken.None).ConfigureAwait(false);

    /// <summary>
    /// Stops the loop at once without blocking: nothing more is accepted, deliveries in progress are cancelled, and
    /// undelivered events are reported (log and <see cref="DispatchLoopOptions.OnUndelivered"/>). Prefer
    /// <see cref="DisposeAsync"/> or <see cref="StopAsync(TimeSpan)"/>, which drain first.
    /// </summary>
    public void Dispose() => _ = StopCore(TimeSpan.Zero, CancellationToken.None);

    /// <summary>The lane a partition key maps to. Exposed for tests.</summary>
    internal int LaneOf(string key) => (int)((uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_lanes.Length);

    private static ArgumentNullException NullEvent() => new("event", "Cannot enqueue a null event.");

    private bool TryPrepare(object @event, out Envelope envelope, out int lane)
    {
        var type = @event.GetType();
        var route = _dispatcher.GetRoute(type);
        if (route is null || (route.Listeners.Count == 0 && !route.HasSubscribers))
        {
            switch (_dispatcher.Options.NoListenerPolicy)
            {
                case NoListenerPolicy.Throw:
                    throw new NoListenerException(route?.EventName ?? EventDispatcherBase.EventNameOf(type), type);
                case NoListenerPolicy.Log:
                    Log.NoListener(_logger, route?.EventName ?? EventDispatcherBase.EventNameOf(type), type.FullName);
                    break;
            }
            envelope = default;
            lane = -1;
            return false;
        }

        var id = route.GetEventId(@event);
        // Copies of one event id share a lane, so that the idempotency check and mark are never raced by a duplicate.
        var key = route.GetPartitionKey(@event) ?? id;
        var parent = default(ActivityContext);
        if (Telemetry.IsEnabled)
        {
            Telemetry.Published.Add(1, new KeyValuePair<string, object?>("messaging.destination.name", route.EventName));
            using var activity = Telemetry.StartActivity("enqueue", route.EventName, ActivityKind.Producer, payload: @event);
            parent = activity?.Context ?? Activity.Current?.Context ?? default;
        }
        envelope = new Envelope(@event, route, Envelope.ExtraOf(id, route.Subscribers, parent));
        lane = key is null ? -1 : LaneOf(key);
        return true;
    }

    private bool TryWrite(in Envelope envelope, int lane, out int target)
    {
        if (lane >= 0)
        {
            target = lane;
            return _lanes[lane].TryWrite(envelope);
        }

        var lanes = _lanes;
        var count = lanes.Length;
        var start = 0;
        if (count > 1)
        {
            // A plain write, not an interlocked increment: producers racing on it only pick the same first lane, and
            // the loop below moves on from a full one. Every value written is below the lane count: no division.
            start = _producer.RoundRobin + 1;
            if ((uint)start >= (uint)count)
            {
                start = 0;
            }
            _producer.RoundRobin = start;
        }
        target = start;
        if (_dropMode)
        {
            // A drop-mode write always succeeds by discarding; prefer a lane with room so nothing is dropped needlessly.
            for (int k = 0, i = start; k < count; k++, i = i + 1 == count ? 0 : i + 1)
            {
                if (lanes[i].Count < _laneCapacity)
                {
                    target = i;
                    break;
                }
            }
            return lanes[target].TryWrite(envelope);
        }
        for (int k = 0, i = start; k < count; k++, i = i + 1 == count ? 0 : i + 1)
        {
            if (lanes[i].TryWrite(envelope))
            {
                target = i;
                return true;
            }
        }
        return false;
    }

    private async ValueTask WaitAndWriteAsync(Envelope envelope, int lane, CancellationToken cancellationToken)
    {
        try
        {
            await _lanes[lane].WriteAsync(envelope, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new DispatchLoopStoppedException();
        }
        finally
        {
            // Written: the lane counts it now (it did before this line runs). Failed: it was never accepted.
            Interlocked.Decrement(ref _producer.Waiting);
        }
    }

    private void OnItemDropped(Envelope envelope)
    {
        Interlocked.Increment(ref _producer.Dropped);
        Telemetry.Dropped.Add(1, new KeyValuePair<string, object?>("messaging.destination.name", envelope.Route.EventName));
        DispatchLoopLog.Dropped(_logger, envelope.Route.EventName, _fullMode);
        if (_onDropped is { } callback)
        {
            try
            {
                callback(envelope.Event);
            }
            catch (Exception ex)
            {
                DispatchLoopLog.CallbackFailed(_logger, ex, nameof(DispatchLoopOptions.OnDropped));
            }
        }
    }

    private Task<IReadOnlyList<UndeliveredEvent>> StopCore(TimeSpan timeout, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_stopTask is null)
            {
                // Set before completing the writers: a producer whose write then fails sees the flag and reports
                // "stopped" rather than "full".
                _stopping = true;
                foreach (var lane in _lanes)
                {
                    lane.Complete();
                }
                CloseSchedule();
                _stopTask = DrainAsync(_workers, timeout, cancellationToken);
                // A stopped loop leaves the gauges; they keep reporting it only while it can still hold events.
                _stopTask.ContinueWith(
                    static (_, gauges) => Array.ForEach((IDisposable[])gauges!, g => g.Dispose()),
                    _gauges, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            return _stopTask;
        }
    }

    private async Task<IReadOnlyList<UndeliveredEvent>> DrainAsync(Task[]? workers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (workers is null)
        {
            // Never started: nothing was delivered, everything queued goes back.
            await _abort.CancelAsync().ConfigureAwait(false);
            foreach (var lane in _lanes)
            {
                var spin = default(SpinWait);
                while (true)
                {
                    while (lane.TryRead(out var envelope))
                    {
                        ReturnUndelivered(lane, envelope.Event, envelope.Route, envelope.EventId, envelope.AllSlots());
                    }
                    // A producer that reserved a slot just before the lane completed is about to queue its event, which
                    // is already accepted: wait for it, as a worker would, so that it is returned too.
                    if (lane.Count == 0)
                    {
                        break;
                    }
                    spin.SpinOnce();
                }
            }
        }
        else
        {
            var all = Task.WhenAll(workers);
            try
            {
                await all.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                DispatchLoopLog.DrainTimedOut(_logger, timeout);
            }
            // Cancels listeners and backoff waits still running; the workers then return their events as undelivered.
            // CancelAsync runs the callbacks on the thread pool rather than inside this stop.
            await _abort.CancelAsync().ConfigureAwait(false);
            await all.ConfigureAwait(false);
        }

        // A scheduled event that became due as the stop began is in a lane (delivered or returned above) or returned.
        await ScheduleSettled().ConfigureAwait(false);
        var undelivered = new List<UndeliveredEvent>(_undelivered.Count);
        while (_undelivered.TryDequeue(out var item))
        {
            undelivered.Add(item);
        }
        DispatchLoopLog.Stopped(_logger, Counts);
        if (undelivered.Count > 0 && _onUndelivered is { } callback)
        {
            try
            {
                callback(undelivered);
            }
            catch (Exception ex)
            {
                DispatchLoopLog.CallbackFailed(_logger, ex, nameof(DispatchLoopOptions.OnUndelivered));
            }
        }
        return undelivered;
    }

    private void ReturnUndelivered(Lane lane, object @event, EventRoute route, string? eventId, IReadOnlyList<ListenerInfo> pending)
    {
        DispatchLoopLog.Undelivered(_logger, route.EventName, eventId, pending.Count);
        _undelivered.Enqueue(new UndeliveredEvent(@event, route.EventName, eventId, pending));
        LaneCounters.Increment(ref lane.Counters.Returned);
    }

    /// <summary>Counters producers write, padded away from the fields around them.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct ProducerCounters
    {
        [FieldOffset(64)] public long Accepted; // drop modes only: other lanes count what they take
        [FieldOffset(88)] public long Waiting;  // producers waiting for room (Wait mode): accepted, not yet in a lane
        [FieldOffset(72)] public long Dropped;
        [FieldOffset(80)] public int RoundRobin;
        [FieldOffset(96)] public long Returned; // journaled events a stop caught before they reached a lane
    }

    /// <summary>
    /// A queued event with its route, id and the route's run-time subscriptions, resolved once at enqueue time.
    /// Delivery slots are the compile-time listeners, then the subscriptions (a copy-on-write array, so the snapshot
    /// stays stable through retries).
    /// </summary>
    /// <remarks>
    /// Three references, not five fields: the envelope is copied into the lane's queue and out again under the
    /// channel's lock, and every reference copied is a write barrier. The id, the subscriptions and the trace parent
    /// are rare, so they share one slot: null (the common case), the id, the subscriptions, or — for two of them or a
    /// trace parent — a small <see cref="Details"/> object.
    /// </remarks>
    internal readonly struct Envelope
    {
        private readonly object? _extra;

        public Envelope(object @event, EventRoute route, string? eventId, Subscription[]? subscribers, ActivityContext parent)
            : this(@event, route, ExtraOf(eventId, subscribers, parent))
        {
        }

        /// <summary>
        /// Three plain stores, no branch: the enqueue builds the envelope with this one, so that the JIT keeps its
        /// fields in registers up to the queue's slot rather than assembling it on the stack and copying it there.
        /// </summary>
        public Envelope(object @event, EventRoute route, object? extra)
        {
            Event = @event;
            Route = route;
            _extra = extra;
        }

        /// <summary>The shared slot for the rare extras: null, the id, the subscriptions, or a <see cref="Details"/> for more.</summary>
        public static object? ExtraOf(string? eventId, Subscription[]? subscribers, ActivityContext parent) =>
            parent == default && (eventId is null || subscribers is null)
                ? (object?)eventId ?? subscribers
                : new Details(eventId, subscribers, parent);

        /// <summary>This envelope with its journal position, and the listeners that completed it or wait for a retry of it before a restart.</summary>
        public Envelope WithJournal(long position, HashSet<string>? completed, Dictionary<string, JournaledRetry>? retries = null) =>
            new(Event, Route, new Details(EventId, Subscribers, Parent, position, completed, retries));

        /// <summary>The event's position in the loop's journal; 0 when the loop has none.</summary>
        public long Position => _extra is Details details ? details.Position : 0;

        public bool IsJournaled => _extra is Details { Position: not 0 };

        /// <summary>True when the listener completed this event before the restart that recovered it.</summary>
        public bool CompletedBefore(string listener) => _extra is Details { Completed: { } completed } && completed.Contains(listener);

        /// <summary>The retry the listener waited for when a restart recovered this event; null when none.</summary>
        public JournaledRetry? RetryBefore(string listener) =>
            _extra is Details { Retries: { } retries } && retries.TryGetValue(listener, out var retry) ? retry : null;

        /// <summary>True when a listener of this recovered event waited for a retry.</summary>
        public bool HasRetriesBefore => _extra is Details { Retries: not null };

        public object Event { get; }

        public EventRoute Route { get; }

        /// <summary>True when the event has an id, a subscription or a trace parent: anything beyond the plain fast path.</summary>
        public bool HasExtra => _extra is not null;

        public string? EventId => _extra switch
        {
            null => null,
            string id => id,
            Details details => details.EventId,
            _ => null,
        };

        public Subscription[]? Subscribers => _extra switch
        {
            null or string => null,
            Details details => details.Subscribers,
            var subscribers => Unsafe.As<Subscription[]>(subscribers),
        };

        /// <summary>The enqueue span (or the producer's current span), so deliveries join the producer's trace.</summary>
        public ActivityContext Parent => _extra is Details details ? details.Parent : default;

        public int SlotCount => _extra is null ? Route.Listeners.Count : Route.Listeners.Count + (Subscribers?.Length ?? 0);

        /// <summary>True for a run-time subscription: no idempotency (its name is not a stable identity).</summary>
        public bool IsSubscription(int slot) => slot >= Route.Listeners.Count;

        public ListenerInfo InfoAt(int slot)
        {
            var listeners = Route.Listeners;
            return slot < listeners.Count ? listeners[slot] : Subscribers![slot - listeners.Count].Info;
        }

        public ValueTask InvokeAt(int slot, IServiceProvider? services, CancellationToken cancellationToken, int attempt = 1)
        {
            if (Telemetry.IsEnabled)
            {
                return InvokeInstrumented(slot, services, cancellationToken, attempt);
            }
            var count = Route.Listeners.Count;
            return slot < count
                ? Route.InvokeAsync(Event, slot, services, cancellationToken)
                : Subscribers![slot - count].InvokeAsync(Event, cancellationToken);
        }

        private ValueTask InvokeInstrumented(int slot, IServiceProvider? services, CancellationToken cancellationToken, int attempt) =>
            EventDispatcherBase.RunInstrumented(
                Route.EventName, InfoAt(slot), Parent, attempt, Event,
                (envelope: this, slot, services, cancellationToken),
                static s =>
                {
                    var e = s.envelope;
                    var count = e.Route.Listeners.Count;
                    if (s.slot >= count)
                    {
                        return e.Subscribers![s.slot - count].InvokeAsync(e.Event, s.cancellationToken);
                    }
                    return ListenerInterception.Find(e.Route.Listeners[s.slot].ListenerType) is { } stub
                        ? stub(e.Event, s.cancellationToken)
                        : e.Route.InvokeAsync(e.Event, s.slot, s.services, s.cancellationToken);
                });

        private sealed class Details(
            string? eventId, Subscription[]? subscribers, ActivityContext parent, long position = 0, HashSet<string>? completed = null, Dictionary<string, JournaledRetry>? retries = null)
        {
            public Dictionary<string, JournaledRetry>? Retries { get; } = retries;

            public string? EventId { get; } = eventId;

            public Subscription[]? Subscribers { get; } = subscribers;

            public ActivityContext Parent { get; } = parent;

            public long Position { get; } = position;

            public HashSet<string>? Completed { get; } = completed;
        }

        public IReadOnlyList<ListenerInfo> AllSlots()
        {
            if (Subscribers is null)
            {
                return Route.Listeners;
            }
            var all = new ListenerInfo[SlotCount];
            for (var i = 0; i < all.Length; i++)
            {
                all[i] = InfoAt(i);
            }
            return all;
        }
    }
}
