using System;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter;

/// <summary>One run-time subscription; disposing it unsubscribes.</summary>
internal abstract class Subscription : IDisposable
{
    private readonly EventDispatcherBase _owner;
    private int _disposed;

    protected Subscription(EventDispatcherBase owner, Type eventType, ListenerInfo info)
    {
        _owner = owner;
        EventType = eventType;
        Info = info;
    }

    public Type EventType { get; }

    public ListenerInfo Info { get; }

    /// <summary>Invokes the subscriber; the event is of a type assignable to <see cref="EventType"/>.</summary>
    public abstract ValueTask InvokeAsync(object @event, CancellationToken cancellationToken);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _owner.Unsubscribe(this);
        }
    }
}

/// <summary>A subscription of a delegate, or of a listener instance through its <c>HandleAsync</c> method.</summary>
internal sealed class Subscription<TEvent> : Subscription
{
    private readonly Func<TEvent, CancellationToken, ValueTask> _handler;

    public Subscription(EventDispatcherBase owner, Func<TEvent, CancellationToken, ValueTask> handler, ListenerInfo info)
        : base(owner, typeof(TEvent), info)
    {
        _handler = handler;
    }

    // The route only hands over events assignable to TEvent, so this cast never fails.
    public override ValueTask InvokeAsync(object @event, CancellationToken cancellationToken) =>
        _handler((TEvent)@event, cancellationToken);
}

/// <summary>The route of a type nothing listens to at compile time, so that run-time subscriptions can reach it.</summary>
internal sealed class SubscriptionOnlyRoute : EventRoute<object>
{
    private readonly EventDispatcherBase _dispatcher;

    public SubscriptionOnlyRoute(EventDispatcherBase dispatcher, Type eventType)
        : base(EventDispatcherBase.EventNameOf(eventType), eventType, Array.Empty<ListenerInfo>())
    {
        _dispatcher = dispatcher;
    }

    public override ValueTask InvokeTypedAsync(object @event, int listenerIndex, IServiceProvider? services, CancellationToken cancellationToken) =>
        throw InvalidListenerIndex(listenerIndex);

    public override ValueTask InvokeAsync(object @event, int listenerIndex, IServiceProvider? services, CancellationToken cancellationToken) =>
        throw InvalidListenerIndex(listenerIndex);

    public override ValueTask PublishAsync(object @event, CancellationToken cancellationToken) =>
        _dispatcher.PublishThroughRouteAsync(this, @event, cancellationToken);
}
