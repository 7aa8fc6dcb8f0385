using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace EventRouter.Modules;

/// <summary>
/// One entry of a module's queue: an operation, or a command carried in the entry itself (its handler and the
/// command, with the stateless dispatcher of its type as the operation), so that sending a command of a reference
/// type touches no object but the queue.
/// </summary>
internal readonly struct ModuleMessage
{
    /// <summary>An operation that carries its message (a request, a stream, a command of a value type).</summary>
    public ModuleMessage(ModuleOperation operation)
    {
        Operation = operation;
    }

    /// <summary>A command carried in the entry: <paramref name="dispatcher"/> runs <paramref name="handler"/> on it.</summary>
    public ModuleMessage(ModuleOperation dispatcher, object handler, object? command)
    {
        Operation = dispatcher;
        Handler = handler;
        Command = command;
    }

    public ModuleOperation Operation { get; }

    /// <summary>Non-null when the entry carries a command itself: nothing can cancel it, so it is run as it comes.</summary>
    public object? Handler { get; }

    public object? Command { get; }
}

/// <summary>
/// One message in a module's queue. Each request or command type has its own sealed generic subclass, so the server
/// dispatches through one virtual call and nothing is downcast; instances are pooled.
/// </summary>
internal abstract class ModuleOperation
{
    protected const int Queued = 0;
    protected const int Running = 1;
    protected const int Completed = 2;

    protected int _state;

    /// <summary>The modules waiting on this message's caller, or null for a call from outside any module.</summary>
    public ModuleFrame? Chain { get; protected set; }

    /// <summary>Claims the message for the handler; false when the caller already stopped waiting.</summary>
    public bool TryStart() => Interlocked.CompareExchange(ref _state, Running, Queued) == Queued;

    /// <summary>Runs the handler. Never throws: failures go to the caller (requests) or are reported (commands).</summary>
    public abstract ValueTask ExecuteAsync(CancellationToken cancellationToken);

    /// <summary>Runs a command carried in a <see cref="ModuleMessage"/>; only the command dispatchers carry any.</summary>
    public virtual ValueTask ExecuteAsync(object handler, object? command, ModuleServer server, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("This operation carries its own message.");

    /// <summary>The server will not run this message (immediate stop): fail the caller, release the server's hold.</summary>
    public abstract void Abandon(ModuleServer server);

    /// <summary>The caller stopped waiting before the message was started: release the server's hold without running it.</summary>
    public abstract void Skip();
}

/// <summary>
/// A pooled request: the caller awaits it as a <see cref="ValueTask{TResult}"/> backed by
/// <see cref="ManualResetValueTaskSourceCore{TResult}"/>. Two parties hold it — the caller until it has read the
/// result, the server until it is done with the message — and it returns to the pool when both let go. The core's
/// version changes on every reuse, so a stale <see cref="ValueTask{TResult}"/> throws instead of reading another
/// request's result.
/// </summary>
internal sealed class RequestOperation<TRequest, TResponse> : ModuleOperation, IValueTaskSource<TResponse>
{
    private static readonly Action<object?> s_onCallerCanceled = static state => ((RequestOperation<TRequest, TResponse>)state!).OnCallerCanceled();
    private static readonly TimerCallback s_onTimer = static state => ((RequestOperation<TRequest, TResponse>)state!).OnTimer();
    private static readonly ContextCallback s_invokeInline = static state => ((RequestOperation<TRequest, TResponse>)state!).InvokeInline();

    private ManualResetValueTaskSourceCore<TResponse> _core = new() { RunContinuationsAsynchronously = true };
    private ModuleServer? _server;
    private IRequestHandler<TRequest, TResponse>? _handler;
    private TRequest _request = default!;
    private CancellationToken _callerToken;
    private CancellationTokenRegistration _registration;
    private ITimer? _timer;
    private TimeProvider? _timerProvider;
    private long _deadline;
    private long _timerDueAt;
    private int _holders;
    private int _callerReleased;

    // Results of an inline invocation, read by the caller right after ExecutionContext.Run.
    private ValueTask<TResponse> _inlinePending;
    private Exception? _inlineException;

    public short Version => _core.Version;

    public static RequestOperation<TRequest, TResponse> Rent(ModuleServer server, IRequestHandler<TRequest, TResponse> handler, TRequest request, ModuleFrame? chain)
    {
        var op = OperationPool<RequestOperation<TRequest, TResponse>>.TryRent() ?? new RequestOperation<TRequest, TResponse>();
        op._server = server;
        op._handler = handler;
        op._request = request;
        op.Chain = chain;
        op._holders = 2;
        op._callerReleased = 0;
        Volatile.Write(ref op._state, Queued);
        return op;
    }

    /// <summary>Starts watching the caller's token and the timeout. Both complete the caller; the handler is not interrupted.</summary>
    public void Arm(CancellationToken cancellationToken, TimeSpan timeout, TimeProvider timeProvider)
    {
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            if (!ReferenceEquals(_timerProvider, timeProvider))
            {
                _timer?.Dispose();
                _timer = CreateTimer(timeProvider);
                _timerProvider = timeProvider;
                Volatile.Write(ref _timerDueAt, 0);
            }
            var ticks = Math.Max((long)(timeout.TotalSeconds * timeProvider.TimestampFrequency), 1);
            var deadline = timeProvider.GetTimestamp() + ticks;
            // Full fence, paired with the one in OnTimer: either we see the timer idle and arm it, or the firing
            // timer sees our deadline and re-arms itself. Never neither.
            Interlocked.Exchange(ref _deadline, deadline);
            var due = Interlocked.Read(ref _timerDueAt);
            if (due == 0 || due > deadline)
            {
                // Re-arming a timer takes the timer queue's lock, so it is done only when the timer would fire too
                // late or not at all. A pooled operation serving requests back to back re-arms about once per timeout.
                Interlocked.Exchange(ref _timerDueAt, deadline);
                _timer!.Change(timeout, Timeout.InfiniteTimeSpan);
            }
        }
        if (cancellationToken.CanBeCanceled)
        {
            _callerToken = cancellationToken;
            _registration = cancellationToken.UnsafeRegister(s_onCallerCanceled, this);
        }
    }

    private ITimer CreateTimer(TimeProvider timeProvider)
    {
        // The timer outlives this request (it is reused with the pooled operation): do not capture the caller's context.
        if (ExecutionContext.IsFlowSuppressed())
        {
            return timeProvider.CreateTimer(s_onTimer, this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        using (ExecutionContext.SuppressFlow())
        {
            return timeProvider.CreateTimer(s_onTimer, this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// Invokes the handler on the caller's thread, inside the module's execution context (so the handler's own
    /// requests see this module on the call path). Returns true when the handler completed synchronously.
    /// </summary>
    public bool TryInvokeInline(ExecutionContext context, out TResponse result, out Exception? exception)
    {
        Volatile.Write(ref _state, Running);
        ExecutionContext.Run(context, s_invokeInline, this);
        exception = _inlineException;
        _inlineException = null;
        if (exception is not null)
        {
            result = default!;
            return true;
        }
        if (_inlinePending.IsCompletedSuccessfully)
        {
            result = _inlinePending.Result;
            _inlinePending = default;
            return true;
        }
        result = default!;
        return false;
    }

    private void InvokeInline()
    {
        try
        {
            _inlinePending = _handler!.HandleAsync(_request, _server!.StopToken);
        }
        catch (Exception ex)
        {
            _inlineException = ex;
        }
    }

    /// <summary>The inline handler went asynchronous: this operation carries the rest; the gate is released when it completes.</summary>
    public void ContinueInline(CancellationToken cancellationToken, TimeSpan timeout, TimeProvider timeProvider)
    {
        var pending = _inlinePending;
        _inlinePending = default;
        Arm(cancellationToken, timeout, timeProvider);
        _ = AwaitInlineAsync(pending);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitInlineAsync(ValueTask<TResponse> pending)
    {
        var server = _server!;
        TResponse result;
        try
        {
            result = await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Free the module before waking the caller, so a caller that sends again at once finds it idle.
            server.ReleaseGate();
            TrySetException(ex);
            ReleaseHolder();
            return;
        }
        server.ReleaseGate();
        TrySetResult(result);
        ReleaseHolder();
    }

    /// <summary>Returns an operation that completed inline without anyone awaiting it.</summary>
    public void ReturnUnused()
    {
        Reset();
    }

    public override ValueTask ExecuteAsync(CancellationToken cancellationToken)
    {
        ValueTask<TResponse> pending;
        try
        {
            pending = _handler!.HandleAsync(_request, cancellationToken);
        }
        catch (Exception ex)
        {
            TrySetException(ex);
            ReleaseHolder();
            return default;
        }
        if (pending.IsCompletedSuccessfully)
        {
            TrySetResult(pending.Result);
            ReleaseHolder();
            return default;
        }
        return AwaitHandlerAsync(pending);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitHandlerAsync(ValueTask<TResponse> pending)
    {
        try
        {
            TrySetResult(await pending.ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            TrySetException(ex);
        }
        finally
        {
            ReleaseHolder();
        }
    }

    public override void Abandon(ModuleServer server)
    {
        TrySetException(new ModuleStoppedException(server.Name));
        ReleaseHolder();
    }

    public override void Skip() => ReleaseHolder();

    /// <summary>Fails the request before the server ever held it (queue full, stopped): the caller still awaits the operation.</summary>
    public void FailUnqueued(Exception exception)
    {
        TrySetException(exception);
        ReleaseHolder();
    }

    /// <summary>The server's hold ends (skipped, handled or abandoned).</summary>
    public void ReleaseHolder()
    {
        if (Interlocked.Decrement(ref _holders) == 0)
        {
            Reset();
        }
    }

    private bool TryClaimCompletion()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state == Completed)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _state, Completed, state) == state)
            {
                return true;
            }
        }
    }

    private void TrySetResult(TResponse result)
    {
        if (TryClaimCompletion())
        {
            _core.SetResult(result);
        }
    }

    private void TrySetException(Exception exception)
    {
        if (TryClaimCompletion())
        {
            // SetException captures an ExceptionDispatchInfo: the caller sees the original type and stack.
            _core.SetException(exception);
        }
    }

    private void OnCallerCanceled() => TrySetException(new OperationCanceledException(_callerToken));

    private void OnTimer()
    {
        Interlocked.Exchange(ref _timerDueAt, 0);
        var deadline = Interlocked.Read(ref _deadline);
        var provider = _timerProvider;
        if (deadline == 0 || provider is null)
        {
            return;
        }
        var now = provider.GetTimestamp();
        if (now < deadline)
        {
            // The tick was armed for an earlier request on this pooled operation: wait for the current deadline.
            Interlocked.Exchange(ref _timerDueAt, deadline);
            _timer?.Change(TimeSpan.FromSeconds((deadline - now) / (double)provider.TimestampFrequency), Timeout.InfiniteTimeSpan);
            return;
        }
        if (_server is { } server)
        {
            TrySetException(new ModuleRequestTimeoutException(server.Name, typeof(TRequest), server.Options.RequestTimeout));
        }
    }

    private void Reset()
    {
        _handler = null;
        _request = default!;
        _server = null;
        Chain = null;
        _callerToken = default;
        _inlinePending = default;
        _inlineException = null;
        _core.Reset();
        OperationPool<RequestOperation<TRequest, TResponse>>.Return(this);
    }

    private void ReleaseCaller()
    {
        // The timer stays armed (re-arming costs a lock); with no deadline its next tick does nothing.
        // Unregister before the operation can be reused: Dispose waits for a running callback.
        Interlocked.Exchange(ref _deadline, 0);
        _registration.Dispose();
        _registration = default;
        ReleaseHolder();
    }

    private void ValidateCaller(short token)
    {
        if (token != _core.Version || Volatile.Read(ref _callerReleased) != 0)
        {
            throw StaleValueTask();
        }
    }

    private static InvalidOperationException StaleValueTask() =>
        new("This ValueTask was already awaited; its module request operation has been reused. A ValueTask may be awaited only once.");

    public TResponse GetResult(short token)
    {
        if (token != _core.Version || Interlocked.Exchange(ref _callerReleased, 1) != 0)
        {
            throw StaleValueTask();
        }
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            ReleaseCaller();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token)
    {
        ValidateCaller(token);
        return _core.GetStatus(token);
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        ValidateCaller(token);
        _core.OnCompleted(continuation, state, token, flags);
    }
}

/// <summary>Runs a command's handler for the loop: failures are reported, never thrown.</summary>
internal static class CommandExecution
{
    public static ValueTask RunAsync<TCommand>(ICommandHandler<TCommand> handler, TCommand command, ModuleServer server, CancellationToken cancellationToken)
    {
        ValueTask pending;
        try
        {
            pending = handler.HandleAsync(command, cancellationToken);
        }
        catch (Exception ex)
        {
            server.ReportCommandFailure(typeof(TCommand), ex);
            return default;
        }
        if (pending.IsCompletedSuccessfully)
        {
            // Consume the result: a ValueTask backed by a pooled source returns it to its pool only on GetResult.
            pending.GetAwaiter().GetResult();
            return default;
        }
        return AwaitHandlerAsync<TCommand>(pending, server);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask AwaitHandlerAsync<TCommand>(ValueTask pending, ModuleServer server)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            server.ReportCommandFailure(typeof(TCommand), ex);
        }
    }
}

/// <summary>
/// Runs commands of a reference type carried in <see cref="ModuleMessage"/>s: one stateless instance per command
/// type, shared by every server, so such a send rents nothing and the loop returns nothing.
/// </summary>
internal sealed class CommandDispatcher<TCommand> : ModuleOperation
{
    public static readonly CommandDispatcher<TCommand> Instance = new();

    private CommandDispatcher()
    {
    }

    public override ValueTask ExecuteAsync(CancellationToken cancellationToken) =>
        throw new InvalidOperationException("A command dispatcher runs the command of its message.");

    public override ValueTask ExecuteAsync(object handler, object? command, ModuleServer server, CancellationToken cancellationToken) =>
        // The server queues only an ICommandHandler<TCommand> and, TCommand being a reference type, the command itself.
        CommandExecution.RunAsync(Unsafe.As<ICommandHandler<TCommand>>(handler), Unsafe.As<object?, TCommand>(ref command), server, cancellationToken);

    public override void Abandon(ModuleServer server) => server.CountDroppedCommand();

    public override void Skip()
    {
    }
}

/// <summary>A pooled command of a value type: the sender does not wait for it; the loop returns it to the pool as it takes it.</summary>
internal sealed class CommandOperation<TCommand> : ModuleOperation
{
    private ModuleServer? _server;
    private ICommandHandler<TCommand>? _handler;
    private TCommand _command = default!;

    public static CommandOperation<TCommand> Rent(ModuleServer server, ICommandHandler<TCommand> handler, TCommand command)
    {
        var op = OperationPool<CommandOperation<TCommand>>.TryRent() ?? new CommandOperation<TCommand>();
        op._server = server;
        op._handler = handler;
        op._command = command;
        op._state = Queued;
        return op;
    }

    public override ValueTask ExecuteAsync(CancellationToken cancellationToken)
    {
        var server = _server!;
        var handler = _handler!;
        var command = _command;
        Return();
        return CommandExecution.RunAsync(handler, command, server, cancellationToken);
    }

    public override void Abandon(ModuleServer server)
    {
        server.CountDroppedCommand();
        Return();
    }

    public override void Skip() => Return();

    public void Return()
    {
        _server = null;
        _handler = null;
        _command = default!;
        OperationPool<CommandOperation<TCommand>>.Return(this);
    }
}
