using System;
using System.ComponentModel;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.CompilerServices;

/// <summary>
/// The route of one concrete event type as the generated dispatcher builds it: one shared class for every event type,
/// with the per-event parts handed in as data (the name, the listeners) and as methods of the dispatcher (the typed
/// publish, which it reaches through <see cref="IEventPublisher{TEvent}"/>, and one method that invokes a listener by
/// index). Generated code needs no route class of its own.
/// </summary>
/// <typeparam name="TEvent">The concrete event type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class Route<TEvent> : EventRoute<TEvent>
{
    private readonly IEventPublisher<TEvent> _publisher;
    private readonly Func<TEvent, int, IServiceProvider?, CancellationToken, ValueTask>? _invoke;
    private readonly Func<TEvent, string?>? _eventId;
    private readonly Func<TEvent, string?>? _partitionKey;

    // Bound on first use: a delegate to the dispatcher's typed overload, so a publish through the route (the object
    // and large-table generic entries) makes one delegate call instead of an interface call from shared generic code.
    private Func<TEvent, CancellationToken, ValueTask>? _publish;

    /// <summary>Creates a route. Called by generated code.</summary>
    /// <param name="publisher">The dispatcher: its typed <c>PublishAsync</c> runs all listeners.</param>
    /// <param name="eventName">The event's stable name.</param>
    /// <param name="listeners">The listeners, in publish order.</param>
    /// <param name="invoke">Invokes the listener at an index (checked against <paramref name="listeners"/> before the call); null when there are none.</param>
    /// <param name="eventId">Reads the [EventId] member, or null for the default (<see cref="IIdentifiableEvent"/>).</param>
    /// <param name="partitionKey">Reads the [PartitionKey] member, or null for the default (<see cref="IPartitionedEvent"/>).</param>
    public Route(
        IEventPublisher<TEvent> publisher,
        string eventName,
        ListenerInfo[] listeners,
        Func<TEvent, int, IServiceProvider?, CancellationToken, ValueTask>? invoke,
        Func<TEvent, string?>? eventId = null,
        Func<TEvent, string?>? partitionKey = null)
        : base(eventName, listeners)
    {
        _publisher = publisher;
        // The generated dispatcher hands itself in; its mode is fixed by then (set in the base constructor).
        if (publisher is EventDispatcherBase { IsConcurrent: true })
        {
            SetConcurrent();
        }
        _invoke = invoke;
        _eventId = eventId;
        _partitionKey = partitionKey;
    }

    /// <inheritdoc />
    public override ValueTask InvokeTypedAsync(TEvent @event, int listenerIndex, IServiceProvider? services, CancellationToken cancellationToken) =>
        (uint)listenerIndex < (uint)Listeners.Count
            ? _invoke!(@event, listenerIndex, services, cancellationToken)
            : throw InvalidListenerIndex(listenerIndex);

    /// <inheritdoc />
    public override ValueTask InvokeAsync(object @event, int listenerIndex, IServiceProvider? services, CancellationToken cancellationToken) =>
        InvokeTypedAsync((TEvent)@event, listenerIndex, services, cancellationToken);

    /// <inheritdoc />
    public override ValueTask PublishAsync(object @event, CancellationToken cancellationToken) =>
        (_publish ??= _publisher.PublishAsync)((TEvent)@event, cancellationToken);

    /// <inheritdoc />
    public override string? GetEventId(object @event) => _eventId is { } read ? read((TEvent)@event) : base.GetEventId(@event);

    /// <inheritdoc />
    public override string? GetPartitionKey(object @event) => _partitionKey is { } read ? read((TEvent)@event) : base.GetPartitionKey(@event);
}
