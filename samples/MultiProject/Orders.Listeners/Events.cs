using EventRouter;

namespace Orders.Listeners;

/// <summary>Every order event. Listeners of this interface receive order events declared in any project.</summary>
public interface IOrderEvent
{
    /// <summary>The order the event is about.</summary>
    int OrderId { get; }
}

/// <summary>An order was placed.</summary>
[Event("orders.placed")]
public sealed record OrderPlaced(int OrderId, string Customer, decimal Total) : IOrderEvent;

/// <summary>An order left the warehouse.</summary>
[Event("orders.shipped")]
public sealed record OrderShipped(int OrderId, string Carrier) : IOrderEvent;
