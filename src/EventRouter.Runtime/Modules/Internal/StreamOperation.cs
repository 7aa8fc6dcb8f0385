using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace EventRouter.Modules;

/// <summary>What a generated <c>StreamAsync</c> returns: each enumeration opens one stream on the server.</summary>
internal sealed class ModuleStream<TRequest, TItem>(
    ModuleServer server, IStreamRequestHandler<TRequest, TItem> handler, TRequest request, CancellationToken cancellationToken)
    : IAsyncEnumerable<TItem>
{
    public IAsyncEnumerator<TItem> GetAsyncEnumerator(CancellationToken enumeratorToken = default) =>
        new StreamOperation<TRequest, TItem>(server, handler, request, ModuleFrame.Current, cancellationToken, enumeratorToken);
}

/// <summary>
/// One stream request: the message the module's loop runs (it enumerates the handler into a bounded ring buffer) and
/// the enumerator the caller reads from that buffer. One producer, one reader, one lock; each side waits on a reusable
/// signal, so an item costs no allocation however often either side waits.
/// </summary>
/// <remarks>
/// <para>
/// The stream ends once: when the handler finishes or fails, the reader stops reading (dispose, its token), a wait
/// outlasts its timeout, or the server stops. Ending cancels the handler's token and wakes whoever waits. The reader
/// gets the items already buffered before a failure from the module's side; its own cancellation is reported at once.
/// </para>
/// <para>
/// Only one party can wait at a time (the reader on an empty buffer, the producer on a full one), so one deadline
/// serves both. The timer is re-armed only when it would fire too late; an early tick re-arms itself for the rest. A
/// waiting producer is woken once half the buffer is free; items the reader takes before that count as progress, so
/// the item timeout measures a reader that takes nothing, not one that is merely slower than the module.
/// </para>
/// </remarks>
internal sealed class StreamOperation<TRequest, TItem> : ModuleOperation, IAsyncEnumerator<TItem>, IValueTaskSource<bool>
{
    private static readonly Action<object?> s_onStop = static s => ((StreamOperation<TRequest, TItem>)s!).End(null, stopped: true);
    private static readonly Action<object?, CancellationToken> s_onReaderCanceled =
        static (s, token) => ((StreamOperation<TRequest, TItem>)s!).OnReaderCanceled(token);
    private static readonly TimerCallback s_onTimer = static s => ((StreamOperation<TRequest, TItem>)s!).OnTimer();

    private readonly object _lock = new();
    private readonly ModuleServer _server;
    private readonly IStreamRequestHandler<TRequest, TItem> _handler;
    private readonly TRequest _request;
    private readonly CancellationToken _callToken;
    private readonly CancellationToken _enumeratorToken;
    private readonly TItem[] _buffer;
    private readonly CancellationTokenSource _handlerCancel = new();
    // The producer's wait for room; only the module's loop waits on it.
    private readonly OneWaiterSignal _room = new();
    private readonly TimeSpan _itemTimeout;

    private ManualResetValueTaskSourceCore<bool> _reader = new() { RunContinuationsAsynchronously = true };
    private int _head;
    private int _count;
    private TItem _current = default!;

    private bool _opened;
    private bool _produced;       // the handler yielded its first item (or ended): the start timeout no longer applies
    private bool _readerWaiting;
    private bool _producerWaiting;
    private bool _takenWhileWaiting; // the reader took items while the producer waited: progress, not a stall
    private bool _ended;
    private bool _readerGone;
    private Exception? _failure;
    private CancellationToken _canceledBy;

    private CancellationTokenRegistration _stopRegistration;
    private CancellationTokenRegistration _callRegistration;
    private CancellationTokenRegistration _enumeratorRegistration;
    private ITimer? _timer;
    private long _deadline;
    private long _timerDueAt;

    // The stream's span (the reader's side) while it runs, and what the handler's process span hangs under; only
    // when something listened at the first read.
    private Activity? _activity;
    private ActivityContext _traceParent;
    private string? _destination;
    // When the stream opened, for its duration; 0 when nothing listened to the instrument at the first read.
    private long _meteredSince;

    public StreamOperation(
        ModuleServer server, IStreamRequestHandler<TRequest, TItem> handler, TRequest request, ModuleFrame? chain,
        CancellationToken callToken, CancellationToken enumeratorToken)
    {
        _server = server;
        _handler = handler;
        _request = request;
        Chain = chain;
        _callToken = callToken;
        _enumeratorToken = enumeratorToken;
        _buffer = new TItem[server.Options.StreamBufferCapacity];
        _itemTimeout = server.Options.StreamItemTimeout;
        _state = Queued;
    }

    public TItem Current => _current;

    // ---- Reader side (the caller). ----

    public ValueTask<bool> MoveNextAsync() => _opened ? NextAsync() : OpenAsync();

    /// <summary>The first read sends the request: an enumerable that is never read sends nothing.</summary>
    private ValueTask<bool> OpenAsync()
    {
        _opened = true;
        if (Telemetry.Source.HasListeners())
        {
            StartTrace();
        }
        if (Telemetry.ModuleStreamDuration.Enabled)
        {
            _meteredSince = Stopwatch.GetTimestamp();
        }
        if (_server.IsStopping)
        {
            return Refuse(new ModuleStoppedException(_server.Name));
        }
        if (Chain is { } chain && chain.Contains(_server))
        {
            return Refuse(new ModuleReentrancyException(_server.Name, chain.Describe(_server)));
        }
        if (_callToken.IsCancellationRequested || _enumeratorToken.IsCancellationRequested)
        {
            var token = _callToken.IsCancellationRequested ? _callToken : _enumeratorToken;
            return Refuse(new OperationCanceledException(token));
        }
        if (_callToken.CanBeCanceled)
        {
            _callRegistration = _callToken.UnsafeRegister(s_onReaderCanceled, this);
        }
        if (_enumeratorToken.CanBeCanceled && _enumeratorToken != _callToken)
        {
            _enumeratorRegistration = _enumeratorToken.UnsafeRegister(s_onReaderCanceled, this);
        }
        lock (_lock)
        {
            // Accepted from here: until the first item, the request timeout applies, as for a request's response.
            SetDeadlineLocked(_server.Options.RequestTimeout);
        }
        _stopRegistration = _server.StreamStopToken.UnsafeRegister(s_onStop, this);
        if (Volatile.Read(ref _ended))
        {
            // Ended (cancelled, stopped) while registering: End could not unregister what it did not have yet.
            _stopRegistration.Unregister();
        }
        var enqueue = _server.EnqueueStreamAsync(this, typeof(TRequest), _callToken);
        return enqueue.IsCompletedSuccessfully ? NextAsync() : OpenSlowAsync(enqueue);
    }

    private async ValueTask<bool> OpenSlowAsync(ValueTask enqueue)
    {
        try
        {
            await enqueue.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            End(ex);
        }
        return await NextAsync().ConfigureAwait(false);
    }

    private ValueTask<bool> Refuse(Exception exception)
    {
        lock (_lock)
        {
            _ended = true;
            _failure = exception;
            Interlocked.CompareExchange(ref _state, Completed, Queued);
        }
        EndTrace(exception);
        RecordDuration(exception);
        return ValueTask.FromException<bool>(exception);
    }

    /// <summary>
    /// Starts the stream's span. It is not made current: the reader's own code between items is not part of the
    /// stream, and the span ends when the stream does, wherever that happens.
    /// </summary>
    private void StartTrace()
    {
        var previous = Activity.Current;
        var destination = ModuleTelemetry.Destination(_server, typeof(TRequest));
        _activity = Telemetry.StartActivity("stream", destination, ActivityKind.Client, payload: _request);
        if (_activity is not null)
        {
            _activity.SetTag(ModuleTelemetry.ModuleTag, _server.Name);
            _traceParent = _activity.Context;
            _destination = destination;
            Activity.Current = previous;
        }
    }

    /// <summary>Ends the stream's span once, with what the reader gets when the stream failed.</summary>
    private void EndTrace(Exception? failure)
    {
        if (Interlocked.Exchange(ref _activity, null) is { } activity)
        {
            if (failure is not null)
            {
                Telemetry.RecordException(activity, failure);
            }
            activity.Stop();
        }
    }

    /// <summary>Records the stream's duration once, with the outcome the reader got.</summary>
    private void RecordDuration(Exception? failure)
    {
        if (_meteredSince != 0)
        {
            Telemetry.ModuleStreamDuration.Record(Stopwatch.GetElapsedTime(_meteredSince).TotalSeconds, new TagList
            {
                { ModuleTelemetry.ModuleTag, _server.Name },
                { "eventrouter.module.request_type", typeof(TRequest).Name },
                { "eventrouter.outcome", ModuleTelemetry.Outcome(failure) },
            });
        }
    }

    private ValueTask<bool> NextAsync()
    {
        var wakeProducer = false;
        lock (_lock)
        {
            if (_readerGone)
            {
                return _canceledBy.IsCancellationRequested
                    ? ValueTask.FromException<bool>(new OperationCanceledException(_canceledBy))
                    : ValueTask.FromResult(false);
            }
            if (_count > 0)
            {
                _current = Take();
                if (_producerWaiting)
                {
                    // Woken when half the buffer is free, not at the first free slot: the module then writes a burst
                    // instead of trading every item with the reader.
                    if (_count <= _buffer.Length / 2)
                    {
                        _producerWaiting = false;
                        _deadline = 0;
                        wakeProducer = true;
                    }
                    else
                    {
                        _takenWhileWaiting = true;
                    }
                }
            }
            else if (_ended)
            {
                return _failure is { } failure ? ValueTask.FromException<bool>(failure) : ValueTask.FromResult(false);
            }
            else
            {
                _reader.Reset();
                _readerWaiting = true;
                if (_produced)
                {
                    SetDeadlineLocked(_itemTimeout);
                }
                return new ValueTask<bool>(this, _reader.Version);
            }
        }
        if (wakeProducer)
        {
            _room.Set();
        }
        return new ValueTask<bool>(true);
    }

    private TItem Take()
    {
        var item = _buffer[_head];
        _buffer[_head] = default!;
        _head = _head + 1 == _buffer.Length ? 0 : _head + 1;
        _count--;
        return item;
    }

    /// <summary>The reader is done (read to the end or left early): an unfinished stream ends and its handler is cancelled.</summary>
    public ValueTask DisposeAsync()
    {
        _callRegistration.Unregister();
        _enumeratorRegistration.Unregister();
        End(null, readerGone: true);
        return default;
    }

    private void OnReaderCanceled(CancellationToken token) => End(null, readerGone: true, canceledBy: token);

    bool IValueTaskSource<bool>.GetResult(short token) => _reader.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _reader.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _reader.OnCompleted(continuation, state, token, flags);

    // ---- Producer side (the module's loop). ----

    public override ValueTask ExecuteAsync(CancellationToken cancellationToken) => ProduceAsync();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ProduceAsync()
    {
        IAsyncEnumerator<TItem>? items = null;
        Exception? failure = null;
        // Current while the handler runs (undone when this method returns to the loop), so its own spans nest here.
        var activity = _destination is null
            ? null
            : ModuleTelemetry.StartProcess(_server, _destination, _traceParent, _request, ActivityKind.Server);
        try
        {
            var token = _handlerCancel.Token;
            items = _handler.HandleAsync(_request, token).GetAsyncEnumerator(token);
            while (!Volatile.Read(ref _ended) && await items.MoveNextAsync().ConfigureAwait(false))
            {
                var item = items.Current;
                bool written;
                while (!TryWrite(item, out written, out var room))
                {
                    await room.ConfigureAwait(false);
                }
                if (!written)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        if (items is not null)
        {
            try
            {
                // Runs the handler's finally blocks: the module is held until they are done.
                await items.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failure ??= ex;
            }
        }
        if (activity is not null)
        {
            if (failure is not null && !_handlerCancel.IsCancellationRequested)
            {
                // The handler failed by itself (not by reacting to the stream's end): that is the reader's answer.
                Telemetry.RecordException(activity, failure);
            }
            activity.Dispose();
        }
        End(failure, completed: true);
    }

    /// <summary>
    /// Puts one item in the buffer. False with a signal to await when the buffer is full; true with
    /// <paramref name="written"/> false when the stream has ended and the producer must stop.
    /// </summary>
    private bool TryWrite(TItem item, out bool written, out ValueTask room)
    {
        room = default;
        bool wakeReader;
        lock (_lock)
        {
            if (_ended)
            {
                written = false;
                return true;
            }
            if (_count == _buffer.Length)
            {
                _producerWaiting = true;
                _takenWhileWaiting = false;
                SetDeadlineLocked(_itemTimeout);
                room = _room.Prepare();
                written = false;
                return false;
            }
            if (!_produced)
            {
                // The start timeout ends with the first item; from here each wait has the item timeout.
                _produced = true;
                _deadline = 0;
            }
            if (_readerWaiting)
            {
                // The buffer is empty: hand the item straight to the waiting reader.
                _readerWaiting = false;
                _deadline = 0;
                _current = item;
                wakeReader = true;
            }
            else
            {
                var tail = _head + _count;
                _buffer[tail >= _buffer.Length ? tail - _buffer.Length : tail] = item;
                _count++;
                wakeReader = false;
            }
        }
        if (wakeReader)
        {
            _reader.SetResult(true);
        }
        written = true;
        return true;
    }

    public override void Abandon(ModuleServer server) => End(null, stopped: true);

    public override void Skip()
    {
        // Ended before the loop reached it (the reader left, a timeout, a stop): End already released everything.
    }

    // ---- Ending, timeouts. ----

    /// <summary>Ends the stream once; later calls only record that the producer finished.</summary>
    private void End(Exception? failure, bool completed = false, bool stopped = false, bool readerGone = false, CancellationToken canceledBy = default)
    {
        bool wakeReader, wakeProducer, first;
        Exception? readerFailure = null, outcome = null;
        lock (_lock)
        {
            if (readerGone && !_readerGone)
            {
                _readerGone = true;
                _canceledBy = canceledBy;
            }
            first = !_ended;
            if (first)
            {
                if (!completed)
                {
                    // Before the end is visible: the producer may see it at once and dispose the handler, whose
                    // finally blocks must find its token cancelled. CancelAsync only marks the token here; the code
                    // reacting to it runs on the thread pool, never on the reader's or the timer's thread.
                    _ = _handlerCancel.CancelAsync();
                }
                _ended = true;
                _produced = true;
                _deadline = 0;
                _failure = stopped ? new ModuleStoppedException(_server.Name) : failure;
                // Not started yet: the loop skips it. Raced by the loop's TryStart: whoever wins decides.
                Interlocked.CompareExchange(ref _state, Completed, Queued);
                if (_activity is not null || _meteredSince != 0)
                {
                    // What the reader got; a reader that left early without cancelling ended the stream normally.
                    outcome = _failure ?? (_canceledBy.IsCancellationRequested ? new OperationCanceledException(_canceledBy) : null);
                }
            }
            wakeReader = _readerWaiting && (first || _readerGone);
            if (wakeReader)
            {
                _readerWaiting = false;
                readerFailure = _readerGone
                    ? (_canceledBy.IsCancellationRequested ? new OperationCanceledException(_canceledBy) : null)
                    : _failure;
            }
            wakeProducer = _producerWaiting;
            _producerWaiting = false;
        }
        if (wakeReader)
        {
            if (readerFailure is null)
            {
                _reader.SetResult(false);
            }
            else
            {
                _reader.SetException(readerFailure);
            }
        }
        if (wakeProducer)
        {
            _room.Set();
        }
        if (first)
        {
            _timer?.Dispose();
            _stopRegistration.Unregister();
            EndTrace(outcome);
            RecordDuration(outcome);
        }
        else if (completed)
        {
            _timer?.Dispose();
        }
    }

    private void SetDeadlineLocked(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan || _ended)
        {
            return;
        }
        var time = _server.TimeProvider;
        var deadline = time.GetTimestamp() + Math.Max((long)(timeout.TotalSeconds * time.TimestampFrequency), 1);
        _deadline = deadline;
        if (_timerDueAt == 0 || _timerDueAt > deadline)
        {
            _timerDueAt = deadline;
            _timer ??= CreateTimer(time);
            _timer.Change(timeout, Timeout.InfiniteTimeSpan);
        }
    }

    private ITimer CreateTimer(TimeProvider time)
    {
        // The tick must not run in (or keep alive) the caller's execution context.
        using (ExecutionContext.SuppressFlow())
        {
            return time.CreateTimer(s_onTimer, this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimer()
    {
        Exception timeout;
        lock (_lock)
        {
            _timerDueAt = 0;
            if (_ended || _deadline == 0)
            {
                return;
            }
            var time = _server.TimeProvider;
            var now = time.GetTimestamp();
            if (_producerWaiting && _takenWhileWaiting)
            {
                // The reader is reading, only not fast enough to free half the buffer yet: a new period starts.
                _takenWhileWaiting = false;
                SetDeadlineLocked(_itemTimeout);
                return;
            }
            if (now < _deadline)
            {
                _timerDueAt = _deadline;
                _timer!.Change(TimeSpan.FromSeconds((_deadline - now) / (double)time.TimestampFrequency), Timeout.InfiniteTimeSpan);
                return;
            }
            timeout = _produced
                ? new ModuleStreamTimeoutException(_server.Name, typeof(TRequest), _itemTimeout, readerStalled: _producerWaiting)
                : new ModuleRequestTimeoutException(_server.Name, typeof(TRequest), _server.Options.RequestTimeout);
        }
        End(timeout);
    }
}
