using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Durability.Tests;

[Event("tests.durability.order-placed")]
public sealed record OrderPlaced([property: EventId] string OrderId, [property: PartitionKey] string Customer, int Amount);

[Event("tests.durability.order-shipped")]
public sealed record OrderShipped([property: EventId] string OrderId);

[JsonSerializable(typeof(OrderPlaced))]
[JsonSerializable(typeof(OrderShipped))]
public sealed partial class TestJson : JsonSerializerContext;

/// <summary>What the listeners of the running test saw (flows into the loop's workers with the execution context).</summary>
public sealed class Journal
{
    public static AsyncLocal<Journal?> Current { get; } = new();

    /// <summary>(listener, order id) → completed runs.</summary>
    public ConcurrentDictionary<(string Listener, string OrderId), int> Runs { get; } = new();

    /// <summary>Per listener, the order ids in the order the listener completed them.</summary>
    public ConcurrentQueue<(string Listener, string Customer, int Amount)> Sequence { get; } = new();

    /// <summary>Makes a listener fail this many times per order before it succeeds.</summary>
    public int BillingFailuresPerOrder { get; set; }

    public ConcurrentDictionary<string, int> BillingAttempts { get; } = new();

    public int Count(string listener)
    {
        var n = 0;
        foreach (var pair in Runs)
        {
            if (pair.Key.Listener == listener)
            {
                n += pair.Value;
            }
        }
        return n;
    }
}

[EventListener]
public sealed class Billing : IEventListener<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced @event, CancellationToken cancellationToken)
    {
        var journal = Journal.Current.Value;
        if (journal is null)
        {
            return default;
        }
        if (journal.BillingAttempts.AddOrUpdate(@event.OrderId, 1, (_, n) => n + 1) <= journal.BillingFailuresPerOrder)
        {
            throw new System.InvalidOperationException("card declined");
        }
        journal.Runs.AddOrUpdate((nameof(Billing), @event.OrderId), 1, (_, n) => n + 1);
        journal.Sequence.Enqueue((nameof(Billing), @event.Customer, @event.Amount));
        return default;
    }
}

[EventListener]
public sealed class Shipping : IEventListener<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced @event, CancellationToken cancellationToken)
    {
        Journal.Current.Value?.Runs.AddOrUpdate((nameof(Shipping), @event.OrderId), 1, (_, n) => n + 1);
        return default;
    }
}

[EventListener]
public sealed class Tracking : IEventListener<OrderShipped>
{
    public ValueTask HandleAsync(OrderShipped @event, CancellationToken cancellationToken)
    {
        Journal.Current.Value?.Runs.AddOrUpdate((nameof(Tracking), @event.OrderId), 1, (_, n) => n + 1);
        return default;
    }
}
