using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Tests.Publish;

// Events and listeners shared by the publish tests. The generator turns them into this project's dispatch table.

public interface IDomainEvent
{
    string Source { get; }
}

[Event("tests.order-placed")]
public sealed record OrderPlaced(int OrderId, string Source = "shop") : IDomainEvent;

public record ItemShipped(string Sku) : IDomainEvent
{
    public string Source => "warehouse";
}

public sealed record ExpressItemShipped(string Sku) : ItemShipped(Sku);

public readonly record struct Tick(long Sequence);

[Event("tests.unheard")]
public sealed record Unheard(int Value);

public sealed record FailingEvent(string Mode);

public sealed record SlowEvent(int Value);

public sealed record KeyedEvent([property: EventId] Guid Id, [property: PartitionKey] string Customer);

/// <summary>Records what listeners saw, per test, in order.</summary>
public sealed class Journal
{
    private readonly ConcurrentQueue<string> _entries = new();

    public static AsyncLocal<Journal?> Current { get; } = new();

    public IReadOnlyList<string> Entries => _entries.ToArray();

    public static void Write(string entry) => Current.Value?._entries.Enqueue(entry);
}

[EventListener]
public sealed class OrderAudit : IEventListener<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced @event, CancellationToken cancellationToken)
    {
        Journal.Write($"audit:{@event.OrderId}");
        return default;
    }
}

[EventListener]
public sealed class DomainEventLog : IEventListener<IDomainEvent>
{
    public ValueTask HandleAsync(IDomainEvent @event, CancellationToken cancellationToken)
    {
        Journal.Write($"domain:{@event.GetType().Name}:{@event.Source}");
        return default;
    }
}

[EventListener]
public sealed class ShippingListener : IEventListener<ItemShipped>, IEventListener<Tick>
{
    public ValueTask HandleAsync(ItemShipped @event, CancellationToken cancellationToken)
    {
        Journal.Write($"shipping:{@event.Sku}");
        return default;
    }

    ValueTask IEventListener<Tick>.HandleAsync(Tick @event, CancellationToken cancellationToken)
    {
        Journal.Write($"tick:{@event.Sequence}");
        return default;
    }
}

[EventListener]
public sealed class FailingA : IEventListener<FailingEvent>
{
    public ValueTask HandleAsync(FailingEvent @event, CancellationToken cancellationToken)
    {
        Journal.Write("A");
        return @event.Mode switch
        {
            "sync" => throw new InvalidOperationException("A failed synchronously"),
            "async" => FailLaterAsync(),
            _ => default,
        };

        static async ValueTask FailLaterAsync()
        {
            await Task.Yield();
            throw new TimeoutException("A failed asynchronously");
        }
    }
}

[EventListener]
public sealed class FailingB : IEventListener<FailingEvent>
{
    public ValueTask HandleAsync(FailingEvent @event, CancellationToken cancellationToken)
    {
        Journal.Write("B");
        return default;
    }
}

[EventListener]
public sealed class FailingC : IEventListener<FailingEvent>
{
    public async ValueTask HandleAsync(FailingEvent @event, CancellationToken cancellationToken)
    {
        await Task.Yield();
        Journal.Write("C");
        if (@event.Mode == "async")
        {
            throw new ArgumentException("C failed too");
        }
    }
}

[EventListener]
public sealed class SlowFirst : IEventListener<SlowEvent>
{
    public async ValueTask HandleAsync(SlowEvent @event, CancellationToken cancellationToken)
    {
        Journal.Write("slow-1-start");
        await Task.Yield();
        Journal.Write("slow-1-end");
    }
}

[EventListener]
public sealed class SlowSecond : IEventListener<SlowEvent>
{
    public ValueTask HandleAsync(SlowEvent @event, CancellationToken cancellationToken)
    {
        Journal.Write("slow-2");
        return default;
    }
}

[EventListener(Lifetime = ListenerLifetime.Scoped)]
public sealed class ScopedKeyedListener : IEventListener<KeyedEvent>, IDisposable
{
    private static int s_created;

    public ScopedKeyedListener() => Instance = Interlocked.Increment(ref s_created);

    public int Instance { get; }

    public ValueTask HandleAsync(KeyedEvent @event, CancellationToken cancellationToken)
    {
        Journal.Write($"scoped:{Instance}:{@event.Customer}");
        return default;
    }

    public void Dispose() => Journal.Write($"disposed:{Instance}");
}

public sealed record Ping(int Value);

[EventListener]
public sealed class PingCounter : IEventListener<Ping>
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public ValueTask HandleAsync(Ping @event, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _count);
        return default;
    }
}

/// <summary>A generic type: the compile-time scan skips it, so at run time it takes the fallback route.</summary>
public sealed record GenericEvent<T>(T Value) : IDomainEvent
{
    public string Source => "generic";
}

public sealed record NeedsClockEvent(int Value);

public sealed class Clock
{
    public string Now => "12:00";
}

[EventListener]
public sealed class ClockListener : IEventListener<NeedsClockEvent>
{
    private readonly Clock _clock;

    public ClockListener(Clock clock) => _clock = clock;

    public ValueTask HandleAsync(NeedsClockEvent @event, CancellationToken cancellationToken)
    {
        Journal.Write($"clock:{_clock.Now}:{@event.Value}");
        return default;
    }
}

/// <summary>Its first listener waits for its second: completes only when listeners run concurrently.</summary>
public sealed record GatedEvent(TaskCompletionSource Gate);

[EventListener]
public sealed class AwaitsGate : IEventListener<GatedEvent>
{
    public async ValueTask HandleAsync(GatedEvent @event, CancellationToken cancellationToken)
    {
        await @event.Gate.Task.WaitAsync(cancellationToken);
        Journal.Write("gate-passed");
    }
}

[EventListener]
public sealed class OpensGate : IEventListener<GatedEvent>
{
    public ValueTask HandleAsync(GatedEvent @event, CancellationToken cancellationToken)
    {
        Journal.Write("gate-opened");
        @event.Gate.TrySetResult();
        return default;
    }
}

public sealed record ScopedDependencyEvent(int Value);

public sealed class ScopedDependency
{
}

/// <summary>Scoped, with only a constructor that takes a dependency: regression for the CS0411 emitter bug.</summary>
[EventListener(Lifetime = ListenerLifetime.Scoped)]
public sealed class ScopedWithDependency(ScopedDependency dependency) : IEventListener<ScopedDependencyEvent>
{
    public ValueTask HandleAsync(ScopedDependencyEvent @event, CancellationToken cancellationToken)
    {
        Journal.Write($"scoped-dep:{dependency.GetHashCode() != 0}:{@event.Value}");
        return default;
    }
}
