using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using Mediator;

[assembly: MediatorOptions(ServiceLifetime = Microsoft.Extensions.DependencyInjection.ServiceLifetime.Singleton)]

namespace EventRouter.Benchmarks.Peers;

// One event type serves both sides (it is an INotification for Mediator); every handler body is the same call of
// Work, so the comparison is dispatch, not work.

/// <summary>What every handler does: count, and either complete synchronously or really yield first.</summary>
public static class Work
{
    public static ValueTask Sync(Counter counter)
    {
        counter.Value++;
        return default;
    }

    public static async ValueTask YieldThenCount(Counter counter)
    {
        await Task.Yield();
        counter.Value++;
    }
}

public sealed class Counter
{
    public long Value;
}

public sealed record Ping1(Counter Counter) : INotification;

public sealed record Ping10(Counter Counter) : INotification;

public sealed record AsyncPing(Counter Counter) : INotification;

[EventListener]
public sealed class RouterPing1Listener : IEventListener<Ping1>
{
    public ValueTask HandleAsync(Ping1 @event, CancellationToken cancellationToken) => Work.Sync(@event.Counter);
}

[EventListener]
public sealed class RouterAsyncPingListener : IEventListener<AsyncPing>
{
    public ValueTask HandleAsync(AsyncPing @event, CancellationToken cancellationToken) => Work.YieldThenCount(@event.Counter);
}

[EventListener]
public sealed class RouterPing10Listener0 : IEventListener<Ping10>
{
    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken) => Work.Sync(@event.Counter);
}

[EventListener]
public sealed class RouterPing10Listener1 : IEventListener<Ping10>
{
    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken) => Work.Sync(@event.Counter);
}

[EventListener]
public sealed class RouterPing10Listener2 : IEventListener<Ping10>
{
    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken) => Work.Sync(@event.Counter);
}

[EventListener]
public sealed class RouterPing10Listener3 : IEventListener<Ping10>
{
    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken) => Work.Sync(@event.Counter);
}

[EventListener]
public sealed class RouterPing10Listener4 : IEventListener<Ping10>
{
    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken) => Work.Sync(@event.Counter);
}

[EventListener]
public sealed class RouterPing10Listener5 : IEventListener<Ping10>
{
    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken) => Work.Sync(@event.Counter);
}

[EventListener]
public sealed class RouterPing10Listener6 : IEventListener<Ping10>
{
    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken) => Work.Sync(@event.Counter);
}

[EventListener]
public sealed class RouterPing10Listener7 : IEventListener<Ping10>
{
    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken) => Work.Sync(@event.Counter);
}

[EventListener]
public sealed class RouterPing10Listener8 : IEventListener<Ping10>
{
    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken) => Work.Sync(@event.Counter);
}

[EventListener]
public sealed class RouterPing10Listener9 : IEventListener<Ping10>
{
    public ValueTask HandleAsync(Ping10 @event, CancellationToken cancellationToken) => Work.Sync(@event.Counter);
}

public sealed class MediatorPing1Handler : INotificationHandler<Ping1>
{
    public ValueTask Handle(Ping1 notification, CancellationToken cancellationToken) => Work.Sync(notification.Counter);
}

public sealed class MediatorAsyncPingHandler : INotificationHandler<AsyncPing>
{
    public ValueTask Handle(AsyncPing notification, CancellationToken cancellationToken) => Work.YieldThenCount(notification.Counter);
}

public sealed class MediatorPing10Handler0 : INotificationHandler<Ping10>
{
    public ValueTask Handle(Ping10 notification, CancellationToken cancellationToken) => Work.Sync(notification.Counter);
}

public sealed class MediatorPing10Handler1 : INotificationHandler<Ping10>
{
    public ValueTask Handle(Ping10 notification, CancellationToken cancellationToken) => Work.Sync(notification.Counter);
}

public sealed class MediatorPing10Handler2 : INotificationHandler<Ping10>
{
    public ValueTask Handle(Ping10 notification, CancellationToken cancellationToken) => Work.Sync(notification.Counter);
}

public sealed class MediatorPing10Handler3 : INotificationHandler<Ping10>
{
    public ValueTask Handle(Ping10 notification, CancellationToken cancellationToken) => Work.Sync(notification.Counter);
}

public sealed class MediatorPing10Handler4 : INotificationHandler<Ping10>
{
    public ValueTask Handle(Ping10 notification, CancellationToken cancellationToken) => Work.Sync(notification.Counter);
}

public sealed class MediatorPing10Handler5 : INotificationHandler<Ping10>
{
    public ValueTask Handle(Ping10 notification, CancellationToken cancellationToken) => Work.Sync(notification.Counter);
}

public sealed class MediatorPing10Handler6 : INotificationHandler<Ping10>
{
    public ValueTask Handle(Ping10 notification, CancellationToken cancellationToken) => Work.Sync(notification.Counter);
}

public sealed class MediatorPing10Handler7 : INotificationHandler<Ping10>
{
    public ValueTask Handle(Ping10 notification, CancellationToken cancellationToken) => Work.Sync(notification.Counter);
}

public sealed class MediatorPing10Handler8 : INotificationHandler<Ping10>
{
    public ValueTask Handle(Ping10 notification, CancellationToken cancellationToken) => Work.Sync(notification.Counter);
}

public sealed class MediatorPing10Handler9 : INotificationHandler<Ping10>
{
    public ValueTask Handle(Ping10 notification, CancellationToken cancellationToken) => Work.Sync(notification.Counter);
}

/// <summary>
/// A pending <see cref="ValueTask"/> the benchmark completes itself, on its own thread: the asynchronous path without
/// the thread pool, so what each side adds around one pending handler is measured without the noise of a hop.
/// </summary>
public sealed class ManualCompletion : System.Threading.Tasks.Sources.IValueTaskSource
{
    private System.Threading.Tasks.Sources.ManualResetValueTaskSourceCore<bool> _core;

    public ValueTask Pending() => new(this, _core.Version);

    public void Complete() => _core.SetResult(true);

    public System.Threading.Tasks.Sources.ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(System.Action<object?> continuation, object? state, short token, System.Threading.Tasks.Sources.ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    public void GetResult(short token)
    {
        _core.GetResult(token);
        _core.Reset();
    }
}

public sealed record ManualPing(ManualCompletion Completion) : INotification;

[EventListener]
public sealed class RouterManualPingListener : IEventListener<ManualPing>
{
    public ValueTask HandleAsync(ManualPing @event, CancellationToken cancellationToken) => @event.Completion.Pending();
}

public sealed class MediatorManualPingHandler : INotificationHandler<ManualPing>
{
    public ValueTask Handle(ManualPing notification, CancellationToken cancellationToken) => notification.Completion.Pending();
}
