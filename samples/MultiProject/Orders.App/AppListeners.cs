using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using Orders.Listeners;

namespace Orders.App;

/// <summary>An event declared in the application; the library's <see cref="OrderAuditTrail"/> receives it too.</summary>
[Event("orders.returned")]
public sealed record OrderReturned(int OrderId, string Reason) : IOrderEvent;

/// <summary>The application's own listener of a library event. Local listeners may be internal.</summary>
[EventListener]
internal sealed class ConfirmationEmailSender : IEventListener<OrderPlaced>
{
    /// <inheritdoc />
    public ValueTask HandleAsync(OrderPlaced @event, CancellationToken cancellationToken)
    {
        OrdersOutput.Out.WriteLine($"  [Orders.App] confirmation email to {@event.Customer} for order #{@event.OrderId}");
        return default;
    }
}
