using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Tests.DispatchLoop;

/// <summary>
/// A hand-written dispatcher with the same contract the generator fills: routes per concrete event type, each
/// invoking listeners one by one. Listeners are delegates so tests can script failures.
/// </summary>
internal sealed class TestDispatcher : EventDispatcherBase
{
    private readonly Dictionary<Type, EventRoute> _routes = new();

    public TestDispatcher(IServiceProvider? services = null, EventRouterOptions? options = null)
        : base(services, options)
    {
    }

    public override IReadOnlyList<EventRoute> Routes => _routes.Values.OrderBy(r => r.EventName, StringComparer.Ordinal).ToList();

    /// <summary>Adds the route of <typeparamref name="TEvent"/> with these listeners, in order.</summary>
    public TestDispatcher Route<TEvent>(params TestListener<TEvent>[] listeners) => Route(null, null, listeners);

    /// <summary>Adds a route whose id and key come from delegates, as the generator does for [EventId]/[PartitionKey] members.</summary>
    public TestDispatcher Route<TEvent>(Func<TEvent, string?>? eventId, Func<TEvent, string?>? partitionKey, params TestListener<TEvent>[] listeners)
    {
        _routes[typeof(TEvent)] = new DelegateRoute<TEvent>(typeof(TEvent).Name, listeners, eventId, partitionKey);
        return this;
    }

    protected override ValueTask PublishCoreAsync<TEvent>(TEvent @event, CancellationToken cancellationToken) =>
        @event is null ? throw NullEvent() : PublishUnknownAsync(@event, cancellationToken);

    public override ValueTask PublishAsync(object @event, CancellationToken cancellationToken = default) =>
        @event is null ? throw NullEvent() : PublishUnknownAsync(@event, cancellationToken);

    protected override EventRoute? FindExactRoute(Type eventType) => _routes.GetValueOrDefault(eventType);

    protected override EventRoute? CreateFallbackRoute(Type eventType) => null;
}

/// <summary>One scripted listener: its marker type (for ListenerInfo and per-listener policies) and its handler.</summary>
internal sealed record TestListener<TEvent>(
    Type ListenerType, Func<TEvent, IServiceProvider?, CancellationToken, ValueTask> Handle, ListenerLifetime Lifetime = ListenerLifetime.Singleton)
{
    public static TestListener<TEvent> Of<TListener>(Func<TEvent, CancellationToken, ValueTask> handle) =>
        new(typeof(TListener), (e, _, ct) => handle(e, ct));

    public static TestListener<TEvent> Of<TListener>(Action<TEvent> handle) =>
        new(typeof(TListener), (e, _, _) => { handle(e); return default; });
}

internal sealed class DelegateRoute<TEvent> : EventRoute<TEvent>
{
    private readonly TestListener<TEvent>[] _listeners;
    private readonly Func<TEvent, string?>? _eventId;
    private readonly Func<TEvent, string?>? _partitionKey;

    public DelegateRoute(string name, TestListener<TEvent>[] listeners, Func<TEvent, string?>? eventId, Func<TEvent, string?>? partitionKey)
        : base(name, listeners.Select(l => new ListenerInfo(l.ListenerType.FullName!, l.ListenerType, l.Lifetime)).ToArray())
    {
        _listeners = listeners;
        _eventId = eventId;
        _partitionKey = partitionKey;
    }

    public override ValueTask InvokeTypedAsync(TEvent @event, int listenerIndex, IServiceProvider? services, CancellationToken cancellationToken) =>
        (uint)listenerIndex < (uint)_listeners.Length
            ? _listeners[listenerIndex].Handle(@event, services, cancellationToken)
            : throw InvalidListenerIndex(listenerIndex);

    public override ValueTask InvokeAsync(object @event, int listenerIndex, IServiceProvider? services, CancellationToken cancellationToken) =>
        InvokeTypedAsync((TEvent)@event, listenerIndex, services, cancellationToken);

    public override async ValueTask PublishAsync(object @event, CancellationToken cancellationToken)
    {
        for (var i = 0; i < _listeners.Length; i++)
        {
            await InvokeAsync(@event, i, null, cancellationToken);
        }
    }

    public override string? GetEventId(object @event) => _eventId is null ? base.GetEventId(@event) : _eventId((TEvent)@event);

    public override string? GetPartitionKey(object @event) => _partitionKey is null ? base.GetPartitionKey(@event) : _partitionKey((TEvent)@event);
}

// Events used by the tests.
internal sealed record Ping(int N);

internal sealed record Keyed(string PartitionKey, int Seq) : IPartitionedEvent;

internal sealed record Identified(string EventId, int N) : IIdentifiableEvent;

/// <summary>Stands for an event whose id and key the generator reads from [EventId]/[PartitionKey] members.</summary>
internal sealed record Attributed(string Id, string Key);

internal sealed record Unrouted(int N);

// Listener marker types.
internal sealed class ListenerA;

internal sealed class ListenerB;

internal sealed class ListenerC;
