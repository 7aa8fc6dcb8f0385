using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Generated;
using Microsoft.Extensions.DependencyInjection;

namespace EventRouter.Tests.DispatchLoop;

// Real [EventListener] classes: the generator puts them in this project's dispatch table, and the loop runs them
// through the generated routes, ids and partition keys.

[Event("tests.dispatch-loop.payment")]
public sealed record PaymentRequested([property: EventId] string PaymentId, [property: PartitionKey] string Account, int Seq);

/// <summary>What the payment listeners saw, for the test that is running (flows into the loop's workers).</summary>
public sealed class PaymentJournal
{
    public static AsyncLocal<PaymentJournal?> Current { get; } = new();

    public ConcurrentQueue<string> Entries { get; } = new();

    public ConcurrentDictionary<string, int> GatewayAttempts { get; } = new();
}

[EventListener]
public sealed class PaymentLedger : IEventListener<PaymentRequested>
{
    public ValueTask HandleAsync(PaymentRequested @event, CancellationToken cancellationToken)
    {
        PaymentJournal.Current.Value?.Entries.Enqueue($"ledger:{@event.Account}:{@event.Seq}");
        return default;
    }
}

/// <summary>Scoped and flaky: the first attempt of every payment fails.</summary>
[EventListener(Lifetime = ListenerLifetime.Scoped)]
public sealed class PaymentGateway : IEventListener<PaymentRequested>
{
    public async ValueTask HandleAsync(PaymentRequested @event, CancellationToken cancellationToken)
    {
        var journal = PaymentJournal.Current.Value!;
        await Task.Yield();
        if (journal.GatewayAttempts.AddOrUpdate(@event.PaymentId, 1, (_, n) => n + 1) == 1)
        {
            throw new TimeoutException("gateway timeout");
        }
        journal.Entries.Enqueue($"gateway:{@event.Account}:{@event.Seq}");
    }
}

[Collection(DispatchLoopCollection.Name)]
public sealed class GeneratedDispatcherTests
{
    [Fact]
    public async Task EnqueueAsync_GeneratedDispatcherWithDi_RetriesFlakyListenerAndDeduplicatesById()
    {
        var journal = PaymentJournal.Current.Value = new PaymentJournal();
        await using var services = new ServiceCollection()
            .AddEventRouter()
            .AddEventDispatchLoop(o => o.RetryPolicy = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.Zero })
            .BuildServiceProvider();
        var loop = services.GetRequiredService<EventDispatchLoop>();
        loop.Start();

        await loop.EnqueueAsync(new PaymentRequested("pay-1", "acct-1", 1));
        await loop.EnqueueAsync(new PaymentRequested("pay-1", "acct-1", 1)); // redelivered
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal(new[] { "ledger:acct-1:1", "gateway:acct-1:1" }, journal.Entries.ToArray());
        Assert.Equal(2, journal.GatewayAttempts["pay-1"]);
        Assert.Equal((2L, 1L, 2L), (loop.Counts.Handled, loop.Counts.Retries, loop.Counts.Deduplicated));
    }

    [Fact]
    public async Task EnqueueAsync_GeneratedPartitionKey_KeepsEachAccountInOrderAcrossRetries()
    {
        var journal = PaymentJournal.Current.Value = new PaymentJournal();
        var loop = new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions
        {
            MaxParallelism = 4, RetryPolicy = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.Zero },
        });
        loop.Start();

        for (var seq = 0; seq < 50; seq++)
        {
            foreach (var account in new[] { "a", "b", "c" })
            {
                await loop.EnqueueAsync(new PaymentRequested($"{account}-{seq}", account, seq));
            }
        }
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        foreach (var account in new[] { "a", "b", "c" })
        {
            var gateway = journal.Entries.Where(e => e.StartsWith($"gateway:{account}:", StringComparison.Ordinal)).Select(e => int.Parse(e.Split(':')[2], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(Enumerable.Range(0, 50), gateway);
        }
        Assert.Equal(150, loop.Counts.Handled);
        Assert.Equal(150, loop.Counts.Retries);
    }
}
