using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrderFlow;

namespace EventRouter.Samples.Tests;

/// <summary>The worked example of docs/testing.md: the order flow asserted through the test harness, no sleeps.</summary>
[Collection(HarnessCollection.Name)]
public sealed class OrderFlowTests
{
    [Fact]
    public async Task OrderFlow_CheapOrderIsHandled_ExpensiveOrderIsDeadLettered()
    {
        using var harness = EventRouterTestHarness.Start();
        using var host = OrderFlowApp.Build(TextWriter.Null);
        await host.StartAsync();
        var loop = host.Services.GetRequiredService<EventDispatchLoop>();

        await loop.EnqueueAsync(new OrderPlaced("o-1", "ada", "book", 2, 30m));
        await loop.EnqueueAsync(new OrderPlaced("o-2", "ada", "lamp", 1, 1500m));
        await host.StopAsync();

        Assert.Equal(new[] { "o-1", "o-2" }, harness.Published<OrderPlaced>().Select(o => o.OrderId));
        var deadLetter = Assert.Single(harness.Of(RecordKind.DeadLettered));
        Assert.Equal(typeof(CardCharger).FullName, deadLetter.Handler);
        Assert.Equal(3, deadLetter.Attempt);
        Assert.Equal("card declined for 1500.00", deadLetter.Exception!.Message);
        Assert.Equal(3, harness.Of(RecordKind.Failed).Count);
        Assert.Equal(3, harness.HandledBy("orders.placed").Count); // o-1 by both listeners, o-2's stock reservation
    }

    [Fact]
    public async Task OrderFlow_StubbedPaymentGateway_NothingIsDeadLettered()
    {
        using var harness = EventRouterTestHarness.Start();
        var charged = 0m;
        harness.StubListener<CardCharger, OrderPlaced>((order, _) => { charged += order.Amount; return default; });
        using var host = OrderFlowApp.Build(TextWriter.Null);
        await host.StartAsync();

        await host.Services.GetRequiredService<EventDispatchLoop>().EnqueueAsync(new OrderPlaced("o-9", "bob", "book", 1, 1500m));
        await host.StopAsync();

        Assert.Equal(1500m, charged);
        Assert.Empty(harness.Of(RecordKind.DeadLettered));
        Assert.Empty(host.Services.GetRequiredService<CollectingDeadLetterSink>().Letters);
    }

    [Fact]
    public async Task OrderFlow_RetriesFollowTheFakeClock()
    {
        using var harness = EventRouterTestHarness.Start();
        var time = new ManualTimeProvider();
        using var host = OrderFlowApp.Build(TextWriter.Null, services => services.AddSingleton<TimeProvider>(time));
        await host.StartAsync();

        await host.Services.GetRequiredService<EventDispatchLoop>().EnqueueAsync(new OrderPlaced("o-3", "cy", "book", 1, 2000m));
        await harness.WaitUntilAsync(r => r.Count(x => x.Kind == RecordKind.Retried) == 1, TimeSpan.FromSeconds(30));
        Assert.Empty(harness.Of(RecordKind.DeadLettered)); // the retry waits for the clock

        time.Advance(TimeSpan.FromSeconds(1));
        await harness.WaitUntilAsync(r => r.Count(x => x.Kind == RecordKind.Retried) == 2, TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(1));
        await harness.WaitUntilAsync(r => r.Any(x => x.Kind == RecordKind.DeadLettered), TimeSpan.FromSeconds(30));

        Assert.Equal(3, harness.Of(RecordKind.DeadLettered).Single().Attempt);
        await host.StopAsync();
    }
}

/// <summary>Harness tests attach process-wide listeners: keep them apart from each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HarnessCollection
{
    public const string Name = "Harness";
}
