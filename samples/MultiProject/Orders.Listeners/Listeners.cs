using System;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;

namespace Orders.Listeners;

// These listeners are public: that is what exports them to the applications that reference this library.
// (A listener the library keeps internal is dispatched only by the library's own generated dispatcher.)

/// <summary>Reserves stock for a placed order.</summary>
[EventListener]
public sealed class InventoryReserver : IEventListener<OrderPlaced>
{
    /// <inheritdoc />
    public ValueTask HandleAsync(OrderPlaced @event, CancellationToken cancellationToken)
    {
        OrdersOutput.Out.WriteLine($"  [Orders.Listeners] inventory reserved for order #{@event.OrderId}");
        return default;
    }
}

/// <summary>Writes every order event to the audit trail, whichever project declares the event.</summary>
[EventListener]
public sealed class OrderAuditTrail : IEventListener<IOrderEvent>
{
    /// <inheritdoc />
    public ValueTask HandleAsync(IOrderEvent @event, CancellationToken cancellationToken)
    {
        OrdersOutput.Out.WriteLine($"  [Orders.Listeners] audit: {@event.GetType().Name} for order #{@event.OrderId}");
        return default;
    }
}

/// <summary>Tells the customer that their order shipped; awaits, as real I/O would.</summary>
[EventListener]
public sealed class ShipmentTracker : IEventListener<OrderShipped>
{
    /// <inheritdoc />
    public async ValueTask HandleAsync(OrderShipped @event, CancellationToken cancellationToken)
    {
        await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        OrdersOutput.Out.WriteLine(FormattableString.Invariant($"  [Orders.Listeners] tracking started for order #{@event.OrderId} with {@event.Carrier}"));
    }
}
