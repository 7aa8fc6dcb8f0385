using System;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;

namespace QuickStart.Polymorphism;

/// <summary>What every order event has. A listener of this interface receives every order event.</summary>
public interface IOrderEvent
{
    /// <summary>The order the event is about.</summary>
    int OrderId { get; }
}

/// <summary>An order was placed.</summary>
[Event("orders.placed")]
public sealed record OrderPlaced(int OrderId, decimal Total) : IOrderEvent;

/// <summary>An order left the warehouse.</summary>
[Event("orders.shipped")]
public sealed record OrderShipped(int OrderId, string Carrier) : IOrderEvent;

/// <summary>An order was cancelled.</summary>
[Event("orders.cancelled")]
public sealed record OrderCancelled(int OrderId, string Reason) : IOrderEvent;

/// <summary>
/// Listens to the interface: the generator puts it into the list of every concrete <see cref="IOrderEvent"/> it can
/// see, at compile time. No type test runs when an event is published.
/// </summary>
[EventListener]
public sealed class OrderAuditLog : IEventListener<IOrderEvent>
{
    /// <inheritdoc />
    public ValueTask HandleAsync(IOrderEvent @event, CancellationToken cancellationToken)
    {
        SampleOutput.Out.WriteLine($"  audit: order #{@event.OrderId} {@event.GetType().Name}");
        return default;
    }
}

/// <summary>Listens to one concrete event only.</summary>
[EventListener]
public sealed class ShippingNotifier : IEventListener<OrderShipped>
{
    /// <inheritdoc />
    public ValueTask HandleAsync(OrderShipped @event, CancellationToken cancellationToken)
    {
        SampleOutput.Out.WriteLine($"  shipping: order #{@event.OrderId} is on its way with {@event.Carrier}");
        return default;
    }
}

/// <summary>One class can listen to several events.</summary>
[EventListener]
public sealed class RefundDesk : IEventListener<OrderCancelled>, IEventListener<OrderPlaced>
{
    /// <inheritdoc />
    public ValueTask HandleAsync(OrderPlaced @event, CancellationToken cancellationToken)
    {
        // Invariant culture: the output is the same on every machine.
        SampleOutput.Out.WriteLine(FormattableString.Invariant($"  refunds: holding {@event.Total:0.00} for order #{@event.OrderId}"));
        return default;
    }

    /// <inheritdoc />
    public ValueTask HandleAsync(OrderCancelled @event, CancellationToken cancellationToken)
    {
        SampleOutput.Out.WriteLine($"  refunds: refunding order #{@event.OrderId} ({@event.Reason})");
        return default;
    }
}
