using System.Globalization;
using EventRouter;

namespace PackageApp;

public interface IDomainEvent
{
    string Id { get; }
}

[Event("orders.placed")]
public sealed record OrderPlaced(string Id, decimal Total) : IDomainEvent, IAudited;

public sealed record OrderShipped(string Id) : IDomainEvent;

/// <summary>A DI singleton the scoped listener depends on.</summary>
public sealed class Journal
{
    private int _count;

    public int Next() => Interlocked.Increment(ref _count);
}

[EventListener]
public sealed class AuditLog : IEventListener<IDomainEvent>
{
    public ValueTask HandleAsync(IDomainEvent e, CancellationToken ct)
    {
        Console.WriteLine($"audit: {e.GetType().Name} {e.Id}");
        return default;
    }
}

[EventListener]
public sealed class Billing : IEventListener<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct)
    {
        Console.WriteLine($"billing: charged {e.Id} {e.Total.ToString("0.00", CultureInfo.InvariantCulture)}");
        return default;
    }
}

[EventListener]
public sealed class Flaky : IEventListener<OrderShipped>
{
    public ValueTask HandleAsync(OrderShipped e, CancellationToken ct) =>
        e.Id == "B-2" ? throw new InvalidOperationException("carrier down") : default;
}

[EventListener(Lifetime = ListenerLifetime.Scoped)]
public sealed class Shipping(Journal journal) : IEventListener<OrderShipped>
{
    public async ValueTask HandleAsync(OrderShipped e, CancellationToken ct)
    {
        await Task.Yield(); // the asynchronous path of the dispatcher too
        Console.WriteLine($"shipping: {e.Id} #{journal.Next()}");
    }
}
