using System;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter;

public abstract partial class EventDispatcherBase
{
    /// <inheritdoc />
    public IDisposable Subscribe<TEvent>(IEventListener<TEvent> listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        var type = listener.GetType();
        return AddSubscription(new Subscription<TEvent>(
            this, listener.HandleAsync, new ListenerInfo(type.FullName ?? type.Name, type, ListenerLifetime.Singleton)));
    }

    /// <inheritdoc />
    public IDisposable Subscribe<TEvent>(Func<TEvent, CancellationToken, ValueTask> handler, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddSubscription(new Subscription<TEvent>(
            this, handler, new ListenerInfo(name ?? "subscription:" + typeof(TEvent).FullName, typeof(Func<TEvent, CancellationToken, ValueTask>), ListenerLifetime.Singleton)));
    }

    private Subscription AddSubscription(Subscription subscription)
    {
        lock (_subscriptionGate)
        {
            _subscriptions = [.. _subscriptions, subscription];
            SyncAllRoutes();
        }
        return subscription;
    }

    internal void Unsubscribe(Subscription subscription)
    {
        lock (_subscriptionGate)
        {
            _subscriptions = Array.FindAll(_subscriptions, s => !ReferenceEquals(s, subscription));
            SyncAllRoutes();
        }
    }

    private void SyncAllRoutes()
    {
        _subscriptionVersion++;
        foreach (var route in Routes)
        {
            SyncSubscribers(route);
        }
        foreach (var route in _fallbackRoutes.Values)
        {
            SyncSubscribers(route);
        }
    }

    // Copy-on-write: a publish that already read the old array finishes with it undisturbed.
    private void SyncSubscribers(EventRoute route)
    {
        route.SetSubscribers(Array.FindAll(_subscriptions, s => s.EventType.IsAssignableFrom(route.EventType)));
        route.SubscriptionVersion = _subscriptionVersion;
    }

    private static ValueTask InvokeSubscriberAsync(EventRoute route, Subscription subscriber, object @event, CancellationToken cancellationToken) =>
        Telemetry.PublishEnabled
            ? RunInstrumented(route.EventName, subscriber.Info, parent: default, attempt: 0, payload: null,
                (subscriber, @event, cancellationToken), static s => s.subscriber.InvokeAsync(s.@event, s.cancellationToken))
            : subscriber.InvokeAsync(@event, cancellationToken);
}
