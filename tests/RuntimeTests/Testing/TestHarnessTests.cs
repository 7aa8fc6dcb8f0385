using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Generated;
using EventRouter.Testing;
using EventRouter.Tests.Publish;

namespace EventRouter.Tests.Testing;

[Collection(TelemetrySensitive.Name)]
public sealed class TestHarnessTests
{
    private readonly Journal _journal = new();

    public TestHarnessTests() => Journal.Current.Value = _journal;

    [Fact]
    public async Task Harness_RecordsPublishedHandledAndFailedInOrder()
    {
        using var harness = EventRouterTestHarness.Start();
        var dispatcher = new EventDispatcher();

        await dispatcher.PublishAsync(new OrderPlaced(3));
        await Assert.ThrowsAsync<EventPublishException>(() => dispatcher.PublishAsync(new FailingEvent("sync")).AsTask());

        Assert.Equal(new[] { new OrderPlaced(3) }, harness.Published<OrderPlaced>());
        Assert.Equal(new[] { typeof(DomainEventLog).FullName!, typeof(OrderAudit).FullName! }, harness.HandledBy("tests.order-placed"));
        var failed = Assert.Single(harness.Of(RecordKind.Failed));
        Assert.Equal(typeof(FailingA).FullName, failed.Handler);
        Assert.IsType<InvalidOperationException>(failed.Exception);
        Assert.Equal(
            new[] { RecordKind.Published, RecordKind.Handled, RecordKind.Handled, RecordKind.Published, RecordKind.Failed, RecordKind.Handled, RecordKind.Handled },
            harness.Records.Select(r => r.Kind));
    }

    [Fact]
    public async Task Harness_DoesNotRecordWorkOutsideItsTrace()
    {
        using var harness = EventRouterTestHarness.Start();
        var dispatcher = new EventDispatcher();

        Task outside;
        using (ExecutionContext.SuppressFlow())
        {
            outside = Task.Run(async () => await dispatcher.PublishAsync(new Ping(1)));
        }
        await outside;
        await dispatcher.PublishAsync(new Ping(2));

        Assert.Equal(new[] { new Ping(2) }, harness.Published<Ping>());
    }

    [Fact]
    public async Task StubListener_ReplacesTheListenerForThisTestOnly()
    {
        using var harness = EventRouterTestHarness.Start();
        var dispatcher = new EventDispatcher();
        var stubbed = 0;
        harness.StubListener<FailingA, FailingEvent>((e, _) => { stubbed++; return default; });

        await dispatcher.PublishAsync(new FailingEvent("sync"));

        Assert.Equal(1, stubbed);
        Assert.Equal(new[] { "B", "C" }, _journal.Entries);
    }

    [Fact]
    public async Task StubListener_Disposed_RestoresTheRealListener()
    {
        using var harness = EventRouterTestHarness.Start();
        var dispatcher = new EventDispatcher();
        var stub = harness.StubListener<FailingA>((_, _) => default);
        stub.Dispose();

        await Assert.ThrowsAsync<EventPublishException>(() => dispatcher.PublishAsync(new FailingEvent("sync")).AsTask());
    }

    [Fact]
    public async Task WaitForQuietAsync_CompletesWhenBackgroundPublishFinishes()
    {
        using var harness = EventRouterTestHarness.Start();
        var dispatcher = new EventDispatcher();
        var gate = new TaskCompletionSource();

        var background = Task.Run(async () => await dispatcher.PublishAsync(new SlowEvent(1)));
        await harness.WaitForQuietAsync(TimeSpan.FromSeconds(30));
        await background;

        Assert.Equal(new[] { "slow-1-start", "slow-1-end", "slow-2" }, _journal.Entries);
        Assert.Equal(2, harness.Of(RecordKind.Handled).Count);
    }

    [Fact]
    public async Task WaitForQuietAsync_StillBusy_FailsWithSummaryOfWhatIsInFlight()
    {
        using var harness = EventRouterTestHarness.Start();
        var dispatcher = new EventDispatcher();
        using var cts = new CancellationTokenSource();
        var stuck = dispatcher.PublishAsync(new GatedEvent(new TaskCompletionSource()), cts.Token).AsTask();
        harness.AddQuietProbe("custom-queue", () => false);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => harness.WaitForQuietAsync(TimeSpan.FromMilliseconds(200)));

        Assert.Contains("span: publish ", error.Message);
        Assert.Contains("GatedEvent", error.Message);
        Assert.Contains("probe: custom-queue", error.Message);
        Assert.Contains("Published", error.Message);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stuck);
    }
}

public sealed class ManualTimeProviderTests
{
    [Fact]
    public void Advance_FiresDueTimersInOrderAtTheirDueTime()
    {
        var time = new ManualTimeProvider();
        var start = time.GetUtcNow();
        var fired = new System.Collections.Generic.List<(string Name, TimeSpan At)>();
        using var late = time.CreateTimer(_ => fired.Add(("late", time.GetUtcNow() - start)), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        using var early = time.CreateTimer(_ => fired.Add(("early", time.GetUtcNow() - start)), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using var periodic = time.CreateTimer(_ => fired.Add(("tick", time.GetUtcNow() - start)), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));

        time.Advance(TimeSpan.FromSeconds(4));

        Assert.Equal(
            new[] { ("early", TimeSpan.FromSeconds(1)), ("tick", TimeSpan.FromSeconds(2)), ("late", TimeSpan.FromSeconds(3)), ("tick", TimeSpan.FromSeconds(4)) },
            fired);
        Assert.Equal(TimeSpan.FromSeconds(4), time.GetUtcNow() - start);
        Assert.Equal(1, time.ActiveTimers);
    }

    [Fact]
    public async Task Delay_CompletesOnlyWhenTheClockIsAdvanced()
    {
        var time = new ManualTimeProvider();

        var delay = Task.Delay(TimeSpan.FromMinutes(5), time);
        Assert.False(delay.IsCompleted);
        time.Advance(TimeSpan.FromMinutes(5));

        await delay.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void DisposedOrChangedTimer_DoesNotFire()
    {
        var time = new ManualTimeProvider();
        var count = 0;
        var timer = time.CreateTimer(_ => count++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        time.Advance(TimeSpan.FromSeconds(2));
        timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        timer.Dispose();
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(0, count);
        Assert.Throws<ArgumentOutOfRangeException>(() => time.Advance(TimeSpan.FromSeconds(-1)));
    }
}
