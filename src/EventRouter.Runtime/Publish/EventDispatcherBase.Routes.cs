using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter;

public abstract partial class EventDispatcherBase
{
    /// <summary>Every concrete event type known at compile time, with its listeners, ordered by type name.</summary>
    public abstract IReadOnlyList<EventRoute> Routes { get; }

    /// <summary>
    /// The route for an event's runtime type: the compile-time route when the type is known, else a route built once
    /// from the listeners of its base classes and interfaces. Null when nothing listens to the type.
    /// </summary>
    public EventRoute? GetRoute(Type eventType)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        var route = FindExactRoute(eventType) ?? GetFallbackRoute(eventType);
        return route is SubscriptionOnlyRoute && !route.HasSubscribers ? null : route;
    }

    /// <summary>The cached run-time route of a type without a compile-time route, with current subscriptions.</summary>
    private EventRoute GetFallbackRoute(Type eventType)
    {
        var route = _fallbackRoutes.GetOrAdd(
            eventType, static (type, self) => self.CreateFallbackRoute(type) ?? new SubscriptionOnlyRoute(self, type), this);
        if (route.SubscriptionVersion != Volatile.Read(ref _subscriptionVersion))
        {
            // A route built while a subscription changed catches up here, on the slow (unknown type) path only.
            lock (_subscriptionGate)
            {
                SyncSubscribers(route);
            }
        }
        return route;
    }

    /// <summary>The compile-time route of exactly this type, or null.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected abstract EventRoute? FindExactRoute(Type eventType);

    /// <summary>Builds the route of a type unknown at compile time from the listeners of its base types; null if none.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected abstract EventRoute? CreateFallbackRoute(Type eventType);

    /// <summary>Publishes an event whose runtime type has no compile-time route. Called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected ValueTask PublishUnknownAsync(object @event, CancellationToken cancellationToken)
    {
        var route = GetFallbackRoute(@event.GetType());
        return route.Listeners.Count == 0 && !route.HasSubscribers
            ? NoListener(route.EventName, route.EventType)
            : route.PublishAsync(@event, cancellationToken);
    }

    /// <summary>Applies the no-listener policy. Called by generated code for events without listeners.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected ValueTask NoListener(string eventName, Type eventType)
    {
        switch (Options.NoListenerPolicy)
        {
            case NoListenerPolicy.Throw:
                return ValueTask.FromException(new NoListenerException(eventName, eventType));
            case NoListenerPolicy.Log:
                Log.NoListener(Logger, eventName, eventType.FullName);
                return default;
            default:
                return default;
        }
    }
}
