using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.Modules;

namespace ObservabilitySample;

/// <summary>An order was placed.</summary>
public sealed record OrderPlaced(int OrderId, string Sku);

/// <summary>Reserves stock for an order; answered with whether it succeeded.</summary>
public sealed record Reserve(string Sku);

/// <summary>A fire-and-forget restock.</summary>
public sealed record Restock(string Sku, int Count);

/// <summary>Reacts to orders by reserving stock in the inventory module, so one trace spans publish → listener → module.</summary>
[EventListener]
public sealed class ReserveStock : IEventListener<OrderPlaced>
{
    /// <summary>Set by the demo before publishing.</summary>
    public static InventoryModuleClient? Inventory { get; set; }

    /// <summary>Handles an order.</summary>
    public async ValueTask HandleAsync(OrderPlaced @event, CancellationToken cancellationToken)
    {
        if (!await Inventory!.RequestAsync(new Reserve(@event.Sku), cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"{@event.Sku} is out of stock");
        }
    }
}

/// <summary>The inventory: plain state, because the module server runs one message at a time.</summary>
[ModuleServer]
public sealed partial class InventoryModule : IRequestHandler<Reserve, bool>, ICommandHandler<Restock>
{
    private readonly Dictionary<string, int> _stock = new() { ["apple"] = 1 };

    /// <summary>Handles Reserve.</summary>
    public ValueTask<bool> HandleAsync(Reserve request, CancellationToken cancellationToken)
    {
        if (_stock.TryGetValue(request.Sku, out var count) && count > 0)
        {
            _stock[request.Sku] = count - 1;
            return new(true);
        }
        return new(false);
    }

    /// <summary>Handles Restock.</summary>
    public ValueTask HandleAsync(Restock command, CancellationToken cancellationToken)
    {
        _stock[command.Sku] = _stock.GetValueOrDefault(command.Sku) + command.Count;
        return default;
    }
}
