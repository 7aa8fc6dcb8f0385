using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter;

/// <summary>
/// The generated route of one concrete event type: its name and the exact, ordered list of listeners to call.
/// The dispatch loop and the broker use it to invoke listeners one by one.
/// </summary>
public abstract class EventRoute
{
    private readonly ListenerInfo[] _listeners;

    /// <summary>Creates a route. Called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected EventRoute(string eventName, Type eventType, ListenerInfo[] listeners)
    {
        EventName = eventName;
        EventType = eventType;
        _listeners = listeners;
        foreach (var listener in listeners)
        {
            if (listener.Lifetime != ListenerLifetime.Singleton)
            {
                RequiresScope = true;
            }
        }
    }

    /// <summary>The event's stable name.</summary>
    public string EventName { get; }

    /// <summary>The concrete event type this route serves.</summary>
    public Type EventType { get; }

    /// <summary>The listeners, in the order publish runs them.</summary>
    public IReadOnlyList<ListenerInfo> Listeners => _listeners;

    /// <summary>The number of listeners, without the interface call <see cref="Listeners"/> costs on an array.</summary>
    internal int ListenerCount => _listeners.Length;

    /// <summary>True when a listener is scoped or transient, so a delivery needs a DI scope.</summary>
    public bool RequiresScope { get; }

    /// <summary>True when run-time subscriptions receive this event. Read by generated code: one load, no lock.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public bool HasSubscribers => _subscribers is not null;

    /// <summary>
    /// True when every publish of this event must take the route path: its dispatcher publishes concurrently, or
    /// run-time subscriptions receive it. One field, so the generated fast path tests both with one load.
    /// </summary>
    internal bool TakesRoutePath => _takesRoutePath;

    /// <summary>The subscriptions for this event type; replaced whole (copy-on-write), null when there are none.</summary>
    internal Subscription[]? Subscribers => _subscribers;

    /// <summary>The dispatcher's subscription version this route was last synchronised with.</summary>
    internal int SubscriptionVersion { get; set; }

    private volatile Subscription[]? _subscribers;
    private volatile bool _takesRoutePath;
    private bool _concurrent;

    internal void SetSubscribers(Subscription[]? subscribers)
    {
        // Written after the array, so a publish that sees the flag also sees the subscribers.
        _subscribers = subscribers is { Length: > 0 } ? subscribers : null;
        _takesRoutePath = _concurrent || _subscribers is not null;
    }

    /// <summary>Marks the route of a dispatcher in concurrent mode, before any publish can reach it.</summary>
    internal void SetConcurrent()
    {
        _concurrent = true;
        _takesRoutePath = true;
    }

    /// <summary>Invokes one listener with an event of <see cref="EventType"/>.</summary>
    /// <param name="event">The event; must be of <see cref="EventType"/>, which the caller guarantees.</param>
    /// <param name="listenerIndex">Index into <see cref="Listeners"/>.</param>
    /// <param name="services">The scope's provider for scoped and transient listeners, or null without DI.</param>
    /// <param name="cancellationToken">Passed to the listener.</param>
    public abstract ValueTask InvokeAsync(object @event, int listenerIndex, IServiceProvider? services, CancellationToken cancellationToken);

    /// <summary>Publishes an event of <see cref="EventType"/> through the dispatcher's typed path (all listeners).</summary>
    public abstract ValueTask PublishAsync(object @event, CancellationToken cancellationToken);

    /// <summary>
    /// The event's id for de-duplication: from an <see cref="EventIdAttribute"/> member, else
    /// <see cref="IIdentifiableEvent"/>, else null.
    /// </summary>
    public virtual string? GetEventId(object @event) => (@event as IIdentifiableEvent)?.EventId;

    /// <summary>
    /// The event's ordering key: from a <see cref="PartitionKeyAttribute"/> member, else
    /// <see cref="IPartitionedEvent"/>, else null (no ordering constraint).
    /// </summary>
    public virtual string? GetPartitionKey(object @event) => (@event as IPartitionedEvent)?.PartitionKey;

    /// <summary>Throws for a listener index outside the route. Called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected ArgumentOutOfRangeException InvalidListenerIndex(int listenerIndex) =>
        new(nameof(listenerIndex), listenerIndex, $"Event '{EventName}' has {_listeners.Length} listener(s).");
}

/// <summary>A route with a typed invoke, used by publish without boxing or casts.</summary>
/// <typeparam name="TEvent">The concrete event type.</typeparam>
public abstract class EventRoute<TEvent> : EventRoute
{
    /// <summary>Creates a route. Called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected EventRoute(string eventName, ListenerInfo[] listeners)
        : base(eventName, typeof(TEvent), listeners)
    {
    }

    /// <summary>Creates a route for a runtime type that is more derived than <typeparamref name="TEvent"/>. Called by generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected EventRoute(string eventName, Type eventType, ListenerInfo[] listeners)
        : base(eventName, eventType, listeners)
    {
    }

    /// <summary>Invokes one listener with a typed event.</summary>
    public abstract ValueTask InvokeTypedAsync(TEvent @event, int listenerIndex, IServiceProvider? services, CancellationToken cancellationToken);
}
