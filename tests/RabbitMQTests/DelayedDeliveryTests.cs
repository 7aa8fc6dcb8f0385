using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace EventRouter.RabbitMQ.Tests;

/// <summary>What the delayed listener saw, in order, with when (Stopwatch timestamps).</summary>
public sealed class DelayLog
{
    public ConcurrentQueue<(string Id, int Sequence, long At)> Deliveries { get; } = new();
}

[EventListener]
public sealed class DelayedListener(DelayLog log) : IEventListener<DelayedEvent>
{
    public ValueTask HandleAsync(DelayedEvent e, CancellationToken ct)
    {
        log.Deliveries.Enqueue((e.Id, e.Sequence, Stopwatch.GetTimestamp()));
        return default;
    }
}

/// <summary>Delayed delivery through per-delay TTL queues dead-lettering into the event's exchange (no plugin).</summary>
[Collection(BrokerCollection.Name)]
public sealed class DelayedDeliveryTests(BrokerFixture broker)
{
    private static Task<TestHost> StartAsync(BrokerFixture broker, DelayLog log) =>
        TestHost.StartAsync(broker, TestHost.NewServiceName(), new Recorder(), o =>
        {
            o.CrossBroker("tests.delayed");
            o.ConsumerConcurrency = 1;
        }, register: services => services.AddSingleton(log));

    [Fact]
    public async Task PublishDelayedAsync_EachEventArrivesOnceAndNeverBeforeItsDelay()
    {
        var log = new DelayLog();
        await using var host = await StartAsync(broker, log);
        var delays = new[] { 900, 0, 300, 600, 300 };
        var published = new Dictionary<string, (long At, int Delay)>();

        for (var i = 0; i < delays.Length; i++)
        {
            var id = $"d-{Guid.NewGuid():N}-{i}";
            var before = Stopwatch.GetTimestamp();
            await host.Publisher.PublishDelayedAsync(new DelayedEvent(id, i), TimeSpan.FromMilliseconds(delays[i]));
            published[id] = (before, delays[i]);
        }

        await Eventually.WaitUntilAsync(() => log.Deliveries.Count >= delays.Length, "every delayed event delivered", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
        var deliveries = log.Deliveries.ToArray();
        Assert.Equal(published.Keys.OrderBy(k => k), deliveries.Select(d => d.Id).OrderBy(k => k));
        foreach (var (id, _, at) in deliveries)
        {
            // The broker holds a message for its queue's TTL: it cannot arrive sooner (measured from before the publish).
            var waited = Stopwatch.GetElapsedTime(published[id].At, at);
            Assert.True(waited >= TimeSpan.FromMilliseconds(published[id].Delay), $"{id} arrived after {waited}, before its delay of {published[id].Delay} ms");
        }
    }

    [Fact]
    public async Task PublishDelayedAsync_SameDelay_ArriveInPublishOrder()
    {
        var log = new DelayLog();
        await using var host = await StartAsync(broker, log);
        const int Count = 30;
        var run = Guid.NewGuid().ToString("N");

        for (var i = 0; i < Count; i++)
        {
            await host.Publisher.PublishDelayedAsync(new DelayedEvent($"o-{run}-{i}", i), TimeSpan.FromMilliseconds(250));
        }

        await Eventually.WaitUntilAsync(() => log.Deliveries.Count >= Count, "every delayed event delivered", timeout: TestHost.Patience, pollEvery: TestHost.Poll);
        // One queue, one TTL: messages expire at its head in the order they were queued, and one consumer takes them in order.
        Assert.Equal(Enumerable.Range(0, Count), log.Deliveries.Select(d => d.Sequence));
    }

    [Fact]
    public async Task PublishDelayedAsync_NegativeDelayOrEventNotOptedIn_Throws()
    {
        await using var host = await StartAsync(broker, new DelayLog());

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await host.Publisher.PublishDelayedAsync(new DelayedEvent("x", 0), TimeSpan.FromMilliseconds(-1)));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await host.Publisher.PublishDelayedAsync(new KilledEvent("x"), TimeSpan.FromSeconds(1)));
    }
}
