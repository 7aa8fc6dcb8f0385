// The dispatch loop sample: background delivery of order events with a flaky listener (retried), a redelivered
// event (de-duplicated), a listener that never succeeds for one order (dead letter), and a graceful drain on stop.
using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.DispatchLoop;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = Host.CreateApplicationBuilder(args);
// The loop logs every retry as a warning with its stack trace; the listeners below print their attempts instead.
builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning)
    .AddFilter("EventRouter", LogLevel.Error);
builder.Services
    .AddEventRouter()                        // generated: the dispatcher and the listeners below
    .AddEventDispatchLoop(options =>
    {
        options.MaxParallelism = 2;          // two lanes; one customer's orders always share a lane, in order
        options.Capacity = 64;               // bounded: EnqueueAsync waits for room when full
        options.RetryPolicy = new RetryPolicy
        {
            MaxAttempts = 4, InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(1), Jitter = 0.2,
        };
        options.DrainTimeout = TimeSpan.FromSeconds(10);
        options.DeadLetterSink = new ConsoleDeadLetterSink();
    });

using var host = builder.Build();
await host.StartAsync();
var loop = host.Services.GetRequiredService<EventDispatchLoop>();

Console.WriteLine("== 1. Six orders; the payment gateway fails twice for o-2 and o-5, loyalty never works for o-4 ==");
for (var i = 1; i <= 6; i++)
{
    await loop.EnqueueAsync(new OrderPlaced($"o-{i}", i % 2 == 0 ? "alice" : "bob", 10m * i));
}
await WhenIdle(loop);

Console.WriteLine();
Console.WriteLine("== 2. o-1 is delivered again (say, a broker redelivery): every listener already completed it ==");
await loop.EnqueueAsync(new OrderPlaced("o-1", "bob", 10m));
await WhenIdle(loop);
Console.WriteLine($"   listener deliveries skipped by idempotency: {loop.Counts.Deduplicated}");

Console.WriteLine();
Console.WriteLine("== 3. Twenty more orders, then the host stops: the loop drains them before it exits ==");
for (var i = 7; i <= 26; i++)
{
    await loop.EnqueueAsync(new OrderPlaced($"o-{i}", "carol", 1m));
}
await host.StopAsync();                      // stops accepting, drains within DrainTimeout
try
{
    await loop.EnqueueAsync(new OrderPlaced("o-late", "dave", 1m));
}
catch (DispatchLoopStoppedException ex)
{
    Console.WriteLine($"   enqueue after stop: {ex.Message}");
}

var c = loop.Counts;
Console.WriteLine();
Console.WriteLine($"accepted {c.Accepted} = handled {c.Handled} + dead-lettered {c.DeadLettered} + dropped {c.Dropped} + returned {c.ReturnedUndelivered}"
    + $" -> {c.Accepted == c.Handled + c.DeadLettered + c.Dropped + c.ReturnedUndelivered}; retries {c.Retries}");

static async Task WhenIdle(EventDispatchLoop loop)
{
    while (loop.Counts.InFlight > 0)
    {
        await Task.Delay(10);
    }
}

/// <summary>An order; its id de-duplicates deliveries and its customer orders them.</summary>
[Event("shop.order-placed")]
public sealed record OrderPlaced([property: EventId] string OrderId, [property: PartitionKey] string Customer, decimal Amount);

[EventListener]
public sealed class SendConfirmation : IEventListener<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced order, CancellationToken cancellationToken)
    {
        Console.WriteLine($"   [email]   confirmation for {order.OrderId} ({order.Customer})");
        return default;
    }
}

/// <summary>Flaky: the gateway times out on the first two attempts for o-2 and o-5. Only this listener is retried.</summary>
[EventListener]
public sealed class ChargePayment : IEventListener<OrderPlaced>
{
    private static readonly ConcurrentDictionary<string, int> Attempts = new();

    public async ValueTask HandleAsync(OrderPlaced order, CancellationToken cancellationToken)
    {
        await Task.Delay(5, cancellationToken); // a network call
        var attempt = Attempts.AddOrUpdate(order.OrderId, 1, (_, n) => n + 1);
        if (order.OrderId is "o-2" or "o-5" && attempt <= 2)
        {
            Console.WriteLine($"   [payment] {order.OrderId} attempt {attempt}: gateway timeout");
            throw new TimeoutException("payment gateway timeout");
        }
        Console.WriteLine($"   [payment] {order.OrderId} charged {order.Amount:0.00} (attempt {attempt})");
    }
}

/// <summary>Never succeeds for o-4: after the last attempt it becomes a dead letter.</summary>
[EventListener]
public sealed class AwardLoyaltyPoints : IEventListener<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced order, CancellationToken cancellationToken) =>
        order.OrderId == "o-4"
            ? throw new InvalidOperationException("customer record locked")
            : default;
}

/// <summary>Prints dead letters; a real application stores them to inspect and replay.</summary>
public sealed class ConsoleDeadLetterSink : IDeadLetterSink
{
    public ValueTask WriteAsync(DeadLetter letter, CancellationToken cancellationToken)
    {
        Console.WriteLine($"   [dead letter] {letter.EventName} {letter.EventId} -> {letter.Listener.ListenerType.Name} "
            + $"after {letter.Attempts} attempts: {letter.Exception.Message}");
        return default;
    }
}
