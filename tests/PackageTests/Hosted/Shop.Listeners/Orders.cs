using System.Collections.Concurrent;
using EventRouter;

namespace Shop.Listeners;

[Event("orders.placed")]
public sealed record OrderPlaced(string OrderId, decimal Total);

/// <summary>What the listeners did, for the app to print (a singleton of the app's container).</summary>
public sealed class OrderLog
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _added = new(0);

    public void Add(string line)
    {
        _lines.Enqueue(line);
        _added.Release();
    }

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public async Task WaitForAsync(int count, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
        {
            await _added.WaitAsync(cancellationToken);
        }
    }
}

[EventListener]
public sealed class Billing(OrderLog log) : IEventListener<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced e, CancellationToken cancellationToken)
    {
        log.Add($"billing: {e.OrderId} {e.Total:0.00}");
        return default;
    }
}

[EventListener]
public sealed class Audit(OrderLog log) : IEventListener<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced e, CancellationToken cancellationToken)
    {
        log.Add($"audit: {e.OrderId}");
        return default;
    }
}
