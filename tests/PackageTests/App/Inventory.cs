using EventRouter;
using EventRouter.Modules;

namespace PackageApp;

public sealed record Restock(string Sku, int Quantity) : IAudited;

public sealed record Reserve(string Sku, int Quantity) : IAudited;

/// <summary>A module server: its state is touched by one message at a time, so it needs no lock.</summary>
[ModuleServer]
public sealed partial class Inventory : ICommandHandler<Restock>, IRequestHandler<Reserve, int>
{
    private readonly Dictionary<string, int> _stock = new();

    public ValueTask HandleAsync(Restock command, CancellationToken ct)
    {
        _stock[command.Sku] = _stock.GetValueOrDefault(command.Sku) + command.Quantity;
        return default;
    }

    public ValueTask<int> HandleAsync(Reserve request, CancellationToken ct)
    {
        var left = _stock.GetValueOrDefault(request.Sku) - request.Quantity;
        if (left < 0)
        {
            throw new InvalidOperationException($"only {_stock.GetValueOrDefault(request.Sku)} of {request.Sku} in stock");
        }
        _stock[request.Sku] = left;
        return new(left);
    }
}
