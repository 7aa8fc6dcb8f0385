using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.DispatchLoop;
using EventRouter.Modules;

namespace OrderFlow;

/// <summary>A customer placed an order. The id de-duplicates redeliveries; orders of one customer stay in order.</summary>
[Event("orders.placed")]
public sealed record OrderPlaced([property: EventId] string OrderId, [property: PartitionKey] string Customer, string Sku, int Quantity, decimal Amount);

/// <summary>Asks the inventory module to hold stock for an order.</summary>
public sealed record ReserveStock(string Sku, int Quantity);

/// <summary>The inventory module's answer.</summary>
public sealed record Reservation(bool Reserved, int Left);

/// <summary>The stock, owned by one module: one message at a time, so a plain dictionary is safe.</summary>
[ModuleServer]
public sealed partial class InventoryModule : IRequestHandler<ReserveStock, Reservation>
{
    private readonly Dictionary<string, int> _stock = new() { ["book"] = 5, ["lamp"] = 1 };

    /// <summary>Reserves stock if there is enough.</summary>
    public ValueTask<Reservation> HandleAsync(ReserveStock request, CancellationToken cancellationToken)
    {
        var left = _stock.GetValueOrDefault(request.Sku);
        if (left < request.Quantity)
        {
            return new(new Reservation(false, left));
        }
        _stock[request.Sku] = left - request.Quantity;
        return new(new Reservation(true, left - request.Quantity));
    }
}

/// <summary>Reserves stock through the inventory module's generated client.</summary>
[EventListener]
public sealed class StockReserver(InventoryModuleClient inventory, TextWriter output) : IEventListener<OrderPlaced>
{
    /// <summary>Handles one order.</summary>
    public async ValueTask HandleAsync(OrderPlaced order, CancellationToken cancellationToken)
    {
        var reservation = await inventory.RequestAsync(new ReserveStock(order.Sku, order.Quantity), cancellationToken).ConfigureAwait(false);
        output.WriteLine(reservation.Reserved
            ? $"  stock: reserved {order.Quantity} x {order.Sku} for {order.OrderId} ({reservation.Left} left)"
            : $"  stock: not enough {order.Sku} for {order.OrderId} ({reservation.Left} left)");
    }
}

/// <summary>Charges the card; the (pretend) gateway declines anything over 1,000.</summary>
[EventListener]
public sealed class CardCharger(TextWriter output) : IEventListener<OrderPlaced>
{
    /// <summary>Handles one order.</summary>
    public ValueTask HandleAsync(OrderPlaced order, CancellationToken cancellationToken)
    {
        if (order.Amount > 1000m)
        {
            throw new InvalidOperationException($"card declined for {order.Amount:0.00}");
        }
        output.WriteLine($"  payment: charged {order.Amount:0.00} for {order.OrderId}");
        return default;
    }
}

/// <summary>Collects dead letters so the app (or a test) can show them.</summary>
public sealed class CollectingDeadLetterSink : IDeadLetterSink
{
    private readonly List<DeadLetter> _letters = new();

    /// <summary>The dead letters so far.</summary>
    public IReadOnlyList<DeadLetter> Letters
    {
        get
        {
            lock (_letters)
            {
                return _letters.ToArray();
            }
        }
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
    {
        lock (_letters)
        {
            _letters.Add(deadLetter);
        }
        return default;
    }
}
