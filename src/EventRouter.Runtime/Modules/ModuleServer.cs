using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using EventRouter.Threading;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventRouter.Modules;

/// <summary>
/// Runs one module: a bounded queue and a loop that handles one message at a time, so module state needs no locks.
/// Start it (it is an <see cref="IHostedService"/>), talk to it through its generated typed client, stop it with
/// <see cref="ShutdownAsync(ModuleShutdownMode)"/>.
/// </summary>
public abstract partial class ModuleServer : IHostedService, IAsyncDisposable
{
    private const int Created = 0;
    private const int Running = 1;
    private const int Stopping = 2;
    private const int Stopped = 3;

    // Lock-free: a send and the loop share no lock, only the queue's ring (see BoundedQueue).
    private readonly BoundedQueue<ModuleMessage> _queue;
    private readonly CancellationTokenSource _stopSource = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _timeout;
    private readonly bool _inline;
    private readonly OneWaiterSignal _gateSignal = new();
    private readonly object _startLock = new();
    private readonly IDisposable _queueDepthGauge;

    private ExecutionContext? _context;
    private Task? _loop;
    private int _state;
    private int _immediate;
    private int _started;

    // The module's one-at-a-time guarantee: 1 while the loop or an inline caller is running a handler.
    private int _gate;
    private int _loopWaitingForGate;

    private long _failedCommands;
    private long _droppedCommands;

    /// <summary>Creates the server.</summary>
    /// <param name="name">The module's name, for logs and exceptions.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="services">Used for the logger factory and the <see cref="System.TimeProvider"/> when the options do not set them.</param>
    private protected ModuleServer(string name, ModuleServerOptions? options, IServiceProvider? services)
    {
        Options = options ?? new ModuleServerOptions();
        Name = Options.Name ?? name;
        Services = services;
        _timeProvider = Options.TimeProvider ?? services?.GetService(typeof(TimeProvider)) as TimeProvider ?? TimeProvider.System;
        var loggerFactory = Options.LoggerFactory ?? services?.GetService(typeof(ILoggerFactory)) as ILoggerFactory;
        _logger = loggerFactory?.CreateLogger("EventRouter.Modules") ?? NullLogger.Instance;
        _timeout = Options.RequestTimeout;
        if (_timeout <= TimeSpan.Zero && _timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _timeout, "RequestTimeout must be positive or Timeout.InfiniteTimeSpan.");
        }
        _inline = Options.RunInlineWhenIdle;
        // Shutdown reads too: an immediate stop fails the queued messages itself instead of waiting for the loop,
        // which may be stuck in a handler that ignores its token.
        _queue = new BoundedQueue<ModuleMessage>(Options.Capacity, singleReader: false); // an immediate stop drains it beside the loop
        _queueDepthGauge = Telemetry.ModuleQueueDepth.Add(this, Name, static server => server._queue.Count);
    }

    /// <summary>The module's name.</summary>
    public string Name { get; }

    /// <summary>The settings this server runs with.</summary>
    public ModuleServerOptions Options { get; }

    /// <summary>How many command handlers have failed.</summary>
    public long FailedCommandCount => Interlocked.Read(ref _failedCommands);

    /// <summary>How many queued commands an immediate shutdown dropped.</summary>
    public long DroppedCommandCount => Interlocked.Read(ref _droppedCommands);

    /// <summary>Completes when the server has stopped: nothing runs and every accepted message was handled or failed.</summary>
    public Task Completion => _completion.Task;

    internal CancellationToken StopToken => _stopSource.Token;

    /// <summary>The services the server was created with: where module filters are resolved from.</summary>
    internal IServiceProvider? Services { get; }

    /// <summary>The <c>[ModuleServer]</c> class, for module filters.</summary>
    internal abstract Type ModuleType { get; }

    /// <summary>True when nothing is queued and no handler runs (read by the test harness's quiet probe).</summary>
    /// <remarks>The loop reads and runs messages holding the gate, so a message it has taken is seen by the gate's read.</remarks>
    internal bool IsIdle => _queue.Count == 0 && Volatile.Read(ref _gate) == 0;

    /// <summary>Messages waiting in the queue (read by the health check).</summary>
    internal int QueuedCount => _queue.Count;

    /// <summary>Starts the loop. Messages sent before the start wait in the queue.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        EnsureLoop();
        Interlocked.CompareExchange(ref _state, Running, Created);
        return Task.CompletedTask;
    }

    /// <summary>Stops gracefully; if <paramref name="cancellationToken"/> fires first (the host's shutdown timeout), stops immediately.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => ShutdownAsync(ModuleShutdownMode.Graceful, cancellationToken);

    /// <summary>
    /// Stops the server as <see cref="ShutdownAsync(ModuleShutdownMode)"/> does; a graceful stop turns immediate when
    /// <paramref name="cancellationToken"/> is cancelled before it has finished.
    /// </summary>
    /// <param name="mode">Graceful or immediate.</param>
    /// <param name="cancellationToken">Escalates a graceful stop to immediate.</param>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async Task ShutdownAsync(ModuleShutdownMode mode, CancellationToken cancellationToken)
    {
        var stop = ShutdownAsync(mode);
        if (!stop.IsCompleted && mode == ModuleShutdownMode.Graceful && cancellationToken.CanBeCanceled)
        {
            using var escalate = cancellationToken.UnsafeRegister(static s => _ = ((ModuleServer)s!).ShutdownAsync(ModuleShutdownMode.Immediate), this);
            await stop.ConfigureAwait(false);
            return;
        }
        await stop.ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the server. Sends made after this call fail with <see cref="ModuleStoppedException"/>. A graceful stop
    /// handles every queued message first; an immediate stop cancels the running handler's token and fails every
    /// queued request with <see cref="ModuleStoppedException"/>. May be called again to escalate to immediate.
    /// </summary>
    /// <returns>A task that completes when the server has stopped.</returns>
#pragma warning disable RS0027 // The token overload has no optional parameter, so a call with a token never binds to this one.
    public Task ShutdownAsync(ModuleShutdownMode mode = ModuleShutdownMode.Graceful)
#pragma warning restore RS0027
    {
        EnsureLoop();
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state >= Stopping || Interlocked.CompareExchange(ref _state, Stopping, state) == state)
            {
                break;
            }
        }
        EndStreams();
        var immediate = mode == ModuleShutdownMode.Immediate && Interlocked.Exchange(ref _immediate, 1) == 0;
        if (immediate)
        {
            _stopSource.Cancel();
        }
        _queue.Complete();
        if (immediate)
        {
            AbandonQueued();
        }
        return _completion.Task;
    }

    /// <summary>
    /// Fails every queued request with <see cref="ModuleStoppedException"/> (and drops queued commands) now, whatever
    /// the running handler does. The queue is complete, so nothing is added behind this drain.
    /// </summary>
    private void AbandonQueued()
    {
        while (_queue.TryRead(out var message))
        {
            message.Operation.Abandon(this);
        }
    }

    /// <summary>Stops immediately and waits until the server has stopped.</summary>
    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync(ModuleShutdownMode.Immediate).ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    private void EnsureLoop()
    {
        if (Volatile.Read(ref _started) != 0)
        {
            return;
        }
        lock (_startLock)
        {
            if (_started != 0)
            {
                return;
            }
            // The loop and inline requests run in one context that holds only this module's frame, so handlers see
            // "this module is on the call path" without a per-message AsyncLocal write (which would allocate).
            if (ExecutionContext.IsFlowSuppressed())
            {
                _loop = Task.Run(RunLoopAsync);
            }
            else
            {
                using (ExecutionContext.SuppressFlow())
                {
                    _loop = Task.Run(RunLoopAsync);
                }
            }
            Volatile.Write(ref _started, 1);
        }
    }

    private async Task RunLoopAsync()
    {
        ModuleFrame.Current = new ModuleFrame(this, null);
        _context = ExecutionContext.Capture();
        var queue = _queue;
        var stopToken = _stopSource.Token;
        try
        {
            while (await queue.WaitToReadAsync().ConfigureAwait(false))
            {
                // The gate is taken once per batch, not per message: while the loop has work, inline callers queue
                // behind it anyway (they only run inline when nothing is queued). Messages are read holding it, so
                // an inline caller that holds the gate and sees an empty queue overtakes nothing accepted before it.
                var acquire = AcquireGateAsync();
                if (!acquire.IsCompletedSuccessfully)
                {
                    await acquire.ConfigureAwait(false);
                }
                try
                {
                    while (queue.TryRead(out var message))
                    {
                        var op = message.Operation;
                        if (Volatile.Read(ref _immediate) != 0)
                        {
                            op.Abandon(this);
                            continue;
                        }
                        ValueTask run;
                        if (message.Handler is { } handler)
                        {
                            // A command carried in the message: nobody can withdraw it, and commands never nest.
                            run = op.ExecuteAsync(handler, message.Command, this, stopToken);
                        }
                        else if (!op.TryStart())
                        {
                            // The caller cancelled or timed out before the module got to it: skip without running it.
                            op.Skip();
                            continue;
                        }
                        else
                        {
                            run = op.Chain is null ? op.ExecuteAsync(stopToken) : ExecuteNestedAsync(op);
                        }
                        if (!run.IsCompletedSuccessfully)
                        {
                            await run.ConfigureAwait(false);
                        }
                    }
                }
                finally
                {
                    ReleaseGate();
                }
            }
        }
        finally
        {
            // Wait for an inline request still holding the module; the gate is never released again.
            var acquire = AcquireGateAsync();
            if (!acquire.IsCompletedSuccessfully)
            {
                await acquire.ConfigureAwait(false);
            }
            Volatile.Write(ref _state, Stopped);
            var dropped = Interlocked.Read(ref _droppedCommands);
            if (dropped > 0)
            {
                ModuleLog.CommandsDropped(_logger, Name, dropped);
                ModuleMetrics.CommandsDropped(Name, dropped);
            }
            ModuleLog.Stopped(_logger, Name, _immediate != 0 ? ModuleShutdownMode.Immediate : ModuleShutdownMode.Graceful);
            _queueDepthGauge.Dispose();
            _completion.TrySetResult();
        }
    }

    private async ValueTask ExecuteNestedAsync(ModuleOperation op)
    {
        // A request from inside another module: this module joins that call path, so a request back to any module on
        // it fails instead of deadlocking. The AsyncLocal write stays inside this async method.
        ModuleFrame.Current = new ModuleFrame(this, op.Chain);
        await op.ExecuteAsync(_stopSource.Token).ConfigureAwait(false);
    }

    // Telemetry.IsEnabled is read once per message; when nobody listens the core paths below run untouched (0 B).
    internal ValueTask<TResponse> RequestAsync<TRequest, TResponse>(IRequestHandler<TRequest, TResponse> handler, TRequest request, CancellationToken cancellationToken) =>
        Telemetry.IsEnabled
            ? RequestInstrumentedAsync(handler, request, cancellationToken)
            : RequestCoreAsync(handler, request, cancellationToken);

    // Pooled like the request operation it wraps, so a ValueTask awaited twice throws here too instead of
    // quietly answering again.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TResponse> RequestInstrumentedAsync<TRequest, TResponse>(IRequestHandler<TRequest, TResponse> handler, TRequest request, CancellationToken cancellationToken)
    {
        var destination = ModuleTelemetry.Destination(this, typeof(TRequest));
        var started = Stopwatch.GetTimestamp();
        using var activity = Telemetry.StartActivity("request", destination, ActivityKind.Client, payload: request);
        activity?.SetTag(ModuleTelemetry.ModuleTag, Name);
        Exception? failure = null;
        try
        {
            // The handler carries the request span's context across the queue (or into the module's inline context).
            var traced = activity is null ? handler : new TracedRequestHandler<TRequest, TResponse>(handler, this, destination, activity.Context);
            return await RequestCoreAsync(traced, request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
            Telemetry.RecordException(activity, ex);
            throw;
        }
        finally
        {
            Telemetry.ModuleRequestDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new TagList
            {
                { ModuleTelemetry.ModuleTag, Name },
                { "eventrouter.module.request_type", typeof(TRequest).Name },
                { "eventrouter.outcome", ModuleTelemetry.Outcome(failure) },
            });
        }
    }

    private ValueTask<TResponse> RequestCoreAsync<TRequest, TResponse>(IRequestHandler<TRequest, TResponse> handler, TRequest request, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _state) >= Stopping)
        {
            return ValueTask.FromException<TResponse>(new ModuleStoppedException(Name));
        }
        var chain = ModuleFrame.Current;
        if (chain is not null && chain.Contains(this))
        {
            return ValueTask.FromException<TResponse>(new ModuleReentrancyException(Name, chain.Describe(this)));
        }
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<TResponse>(cancellationToken);
        }

        var op = RequestOperation<TRequest, TResponse>.Rent(this, handler, request, chain);
        var token = op.Version;
        // Holding the gate, an empty queue means every message accepted before this one has finished (the loop reads
        // and runs holding the gate), so running inline overtakes none.
        if (_inline && chain is null && _queue.Count == 0 && TryEnterGate())
        {
            if (Volatile.Read(ref _state) != Running || _context is not { } context)
            {
                ReleaseGate();
            }
            else
            {
                if (op.TryInvokeInline(context, out var result, out var exception))
                {
                    ReleaseGate();
                    op.ReturnUnused();
                    return exception is null ? new ValueTask<TResponse>(result) : ValueTask.FromException<TResponse>(exception);
                }
                op.ContinueInline(cancellationToken, _timeout, _timeProvider);
                return new ValueTask<TResponse>(op, token);
            }
        }

        op.Arm(cancellationToken, _timeout, _timeProvider);
        if (_queue.TryWrite(new ModuleMessage(op)))
        {
            return new ValueTask<TResponse>(op, token);
        }
        if (Options.FullMode == ModuleFullMode.Wait && Volatile.Read(ref _state) < Stopping)
        {
            return EnqueueRequestSlowAsync(op, token, cancellationToken);
        }
        op.FailUnqueued(RejectionException());
        return new ValueTask<TResponse>(op, token);
    }

    private async ValueTask<TResponse> EnqueueRequestSlowAsync<TRequest, TResponse>(RequestOperation<TRequest, TResponse> op, short token, CancellationToken cancellationToken)
    {
        try
        {
            await WriteWhenRoomAsync(new ModuleMessage(op), typeof(TRequest), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            op.FailUnqueued(ex);
        }
        return await new ValueTask<TResponse>(op, token).ConfigureAwait(false);
    }

    /// <summary>
    /// The full-queue path of <see cref="ModuleFullMode.Wait"/>: waits for room, but no longer than the request timeout,
    /// so no sender waits forever on a module that is stuck. Allocates; only runs under backpressure.
    /// </summary>
    private async ValueTask WriteWhenRoomAsync(ModuleMessage message, Type messageType, CancellationToken cancellationToken)
    {
        CancellationTokenSource? timeoutSource = null;
        ITimer? timer = null;
        var token = cancellationToken;
        if (_timeout != Timeout.InfiniteTimeSpan)
        {
            timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timer = _timeProvider.CreateTimer(static s =>
            {
                try
                {
                    ((CancellationTokenSource)s!).Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The write finished first.
                }
            }, timeoutSource, _timeout, Timeout.InfiniteTimeSpan);
            token = timeoutSource.Token;
        }
        try
        {
            await _queue.WriteAsync(message, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw new ModuleRequestTimeoutException(Name, messageType, _timeout);
        }
        catch (ChannelClosedException)
        {
            throw new ModuleStoppedException(Name);
        }
        finally
        {
            if (timer is not null)
            {
                await timer.DisposeAsync().ConfigureAwait(false);
            }
            timeoutSource?.Dispose();
        }
    }

    internal ValueTask SendAsync<TCommand>(ICommandHandler<TCommand> handler, TCommand command, CancellationToken cancellationToken)
    {
        handler = CommandCompletion.Attach(handler, this);
        return Telemetry.IsEnabled
            ? SendInstrumentedAsync(handler, command, cancellationToken)
            : SendCoreAsync(handler, command, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendInstrumentedAsync<TCommand>(ICommandHandler<TCommand> handler, TCommand command, CancellationToken cancellationToken)
    {
        var destination = ModuleTelemetry.Destination(this, typeof(TCommand));
        using var activity = Telemetry.StartActivity("command", destination, ActivityKind.Producer, payload: command);
        activity?.SetTag(ModuleTelemetry.ModuleTag, Name);
        try
        {
            var traced = activity is null ? handler : new TracedCommandHandler<TCommand>(handler, this, destination, activity.Context);
            await SendCoreAsync(traced, command, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Telemetry.RecordException(activity, ex);
            throw;
        }
    }

    private ValueTask SendCoreAsync<TCommand>(ICommandHandler<TCommand> handler, TCommand command, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _state) >= Stopping)
        {
            return ValueTask.FromException(new ModuleStoppedException(Name));
        }
        if (!typeof(TCommand).IsValueType)
        {
            // The message carries the command itself: no operation to rent here and to return on the loop.
            var carried = new ModuleMessage(CommandDispatcher<TCommand>.Instance, handler, command);
            if (_queue.TryWrite(in carried))
            {
                return default;
            }
            if (Options.FullMode == ModuleFullMode.Wait && Volatile.Read(ref _state) < Stopping)
            {
                return WriteWhenRoomAsync(carried, typeof(TCommand), cancellationToken);
            }
            return ValueTask.FromException(RejectionException());
        }

        // A value-type command would be boxed into the message: a pooled operation carries it instead.
        var op = CommandOperation<TCommand>.Rent(this, handler, command);
        var message = new ModuleMessage(op);
        if (_queue.TryWrite(in message))
        {
            return default;
        }
        if (Options.FullMode == ModuleFullMode.Wait && Volatile.Read(ref _state) < Stopping)
        {
            return EnqueueCommandSlowAsync(op, cancellationToken);
        }
        op.Return();
        return ValueTask.FromException(RejectionException());
    }

    private async ValueTask EnqueueCommandSlowAsync<TCommand>(CommandOperation<TCommand> op, CancellationToken cancellationToken)
    {
        try
        {
            await WriteWhenRoomAsync(new ModuleMessage(op), typeof(TCommand), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            op.Return();
            throw;
        }
    }

    private Exception RejectionException() =>
        Volatile.Read(ref _state) >= Stopping
            ? new ModuleStoppedException(Name)
            : new ModuleQueueFullException(Name, Options.Capacity);

    internal void ReportCommandFailure(Type commandType, Exception exception)
    {
        Interlocked.Increment(ref _failedCommands);
        ModuleMetrics.CommandFailed(Name);
        ModuleLog.CommandFailed(_logger, exception, Name, commandType.FullName ?? commandType.Name);
        if (Options.OnCommandFailed is { } callback)
        {
            try
            {
                callback(new ModuleCommandFailure(Name, commandType, exception));
            }
            catch (Exception ex)
            {
                ModuleLog.CallbackFailed(_logger, ex, Name);
            }
        }
    }

    internal void CountDroppedCommand() => Interlocked.Increment(ref _droppedCommands);

    private bool TryEnterGate() => Interlocked.CompareExchange(ref _gate, 1, 0) == 0;

    internal void ReleaseGate()
    {
        Volatile.Write(ref _gate, 0);
        // Only the loop ever waits for the gate; wake it outside any lock (there is none) and only if it asked.
        if (Volatile.Read(ref _loopWaitingForGate) != 0 && Interlocked.Exchange(ref _loopWaitingForGate, 0) != 0)
        {
            _gateSignal.Set();
        }
    }

    private ValueTask AcquireGateAsync() => TryEnterGate() ? default : AcquireGateSlowAsync();

    private async ValueTask AcquireGateSlowAsync()
    {
        while (true)
        {
            var signal = _gateSignal.Prepare();
            Volatile.Write(ref _loopWaitingForGate, 1);
            if (TryEnterGate())
            {
                if (Interlocked.Exchange(ref _loopWaitingForGate, 0) == 0)
                {
                    // A releaser already claimed our wait and will set the signal: consume it before reusing it.
                    await signal.ConfigureAwait(false);
                }
                return;
            }
            await signal.ConfigureAwait(false);
            if (TryEnterGate())
            {
                return;
            }
        }
    }
}

/// <summary>The server of one module class.</summary>
/// <typeparam name="TModule">The <c>[ModuleServer]</c> class.</typeparam>
public sealed class ModuleServer<TModule> : ModuleServer where TModule : class
{
    /// <summary>Creates the server of a module instance.</summary>
    /// <param name="module">The module; only this server calls its handlers.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="services">Optional: where the logger factory and <see cref="System.TimeProvider"/> come from.</param>
    public ModuleServer(TModule module, ModuleServerOptions? options = null, IServiceProvider? services = null)
        : base(typeof(TModule).Name, options, services)
    {
        Module = module ?? throw new ArgumentNullException(nameof(module));
    }

    /// <summary>The module instance.</summary>
    internal TModule Module { get; }

    internal override Type ModuleType => typeof(TModule);
}
