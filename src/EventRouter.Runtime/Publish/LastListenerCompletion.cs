using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace EventRouter;

/// <summary>
/// The rest of a sequential publish whose last listener is still running and nothing failed before it: all that is
/// left is to wait for that listener and turn its failure into <see cref="EventPublishException"/>. A pooled
/// <see cref="IValueTaskSource"/> does it, so an asynchronous listener costs the publish no allocation of its own
/// (an async method would box its state machine on every such publish).
/// </summary>
internal sealed class LastListenerCompletion : IValueTaskSource
{
    // A few per core: a completion is rented by one publish and returned when its caller reads the result.
    private static readonly LastListenerCompletion?[] s_pool = new LastListenerCompletion?[Math.Max(4, Environment.ProcessorCount * 4)];
    private static LastListenerCompletion? s_first;

    // The thread that returns a completion (the one its listener finished on) is usually the one that publishes next:
    // a slot of its own saves the two interlocked operations of the shared pool on that round trip.
    [ThreadStatic]
    private static LastListenerCompletion? t_cached;

    private readonly Action _onListenerCompleted;
    private ManualResetValueTaskSourceCore<bool> _core;
    private ConfiguredValueTaskAwaitable.ConfiguredValueTaskAwaiter _listener;
    private EventRoute? _route;
    private int _index;
    private CancellationToken _cancellationToken;

    private LastListenerCompletion() => _onListenerCompleted = OnListenerCompleted;

    /// <summary>A publish that completes when <paramref name="pending"/> does (which has not completed yet).</summary>
    public static ValueTask Await(EventRoute route, ValueTask pending, int index, CancellationToken cancellationToken)
    {
        if (pending.IsCompleted)
        {
            // Finished since the caller looked (on another core): registering now would cost a thread-pool hop.
            return Completed(route, pending, index, cancellationToken);
        }
        var completion = Rent();
        completion._route = route;
        completion._index = index;
        completion._cancellationToken = cancellationToken;
        completion._listener = pending.ConfigureAwait(false).GetAwaiter();
        var version = completion._core.Version;
        // Registered before the caller can see the ValueTask: the completion then owns the listener's task alone.
        completion._listener.UnsafeOnCompleted(completion._onListenerCompleted);
        return new ValueTask(completion, version);
    }

    private static ValueTask Completed(EventRoute route, ValueTask pending, int index, CancellationToken cancellationToken)
    {
        try
        {
            pending.GetAwaiter().GetResult();
            return default;
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(Outcome(route, index, ex, cancellationToken));
        }
    }

    /// <summary>The same rule as the other sequential paths: the caller's cancellation, else a failure of this listener.</summary>
    private static Exception Outcome(EventRoute route, int index, Exception ex, CancellationToken cancellationToken) =>
        EventDispatcherBase.IsCallerCancellation(ex, cancellationToken)
            ? new OperationCanceledException(cancellationToken)
            : new EventPublishException(route.EventName, new[] { new ListenerFailure(route.Listeners[index], ex) });

    private void OnListenerCompleted()
    {
        var listener = _listener;
        _listener = default;
        try
        {
            listener.GetResult();
        }
        catch (Exception ex)
        {
            _core.SetException(Outcome(_route!, _index, ex, _cancellationToken));
            return;
        }
        _core.SetResult(true);
    }

    /// <inheritdoc />
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc />
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <inheritdoc />
    public void GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            // A ValueTask is read once: after this the caller holds nothing of this instance.
            _core.Reset();
            _route = null;
            _cancellationToken = default;
            Return(this);
        }
    }

    private static LastListenerCompletion Rent()
    {
        var item = t_cached;
        if (item is not null)
        {
            t_cached = null;
            return item;
        }
        item = s_first;
        if (item is not null && Interlocked.CompareExchange(ref s_first, null, item) == item)
        {
            return item;
        }
        var pool = s_pool;
        for (var i = 0; i < pool.Length; i++)
        {
            item = pool[i];
            if (item is not null && Interlocked.CompareExchange(ref pool[i], null, item) == item)
            {
                return item;
            }
        }
        return new LastListenerCompletion();
    }

    private static void Return(LastListenerCompletion item)
    {
        if (t_cached is null)
        {
            t_cached = item;
            return;
        }
        if (s_first is null && Interlocked.CompareExchange(ref s_first, item, null) is null)
        {
            return;
        }
        var pool = s_pool;
        for (var i = 0; i < pool.Length; i++)
        {
            if (pool[i] is null && Interlocked.CompareExchange(ref pool[i], item, null) is null)
            {
                return;
            }
        }
        // Pool full: the instance is left to the GC.
    }
}
