using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Generated;
using EventRouter.Testing;

namespace EventRouter.Tests.Observability;

/// <summary>Fails its first <see cref="Failures"/> deliveries, then succeeds.</summary>
public sealed record TracedJob(string Key, int Failures);

[EventListener]
public sealed class TracedJobWorker : IEventListener<TracedJob>
{
    private static readonly ConcurrentDictionary<string, int> Attempts = new();

    public ValueTask HandleAsync(TracedJob job, CancellationToken cancellationToken)
    {
        var attempt = Attempts.AddOrUpdate(job.Key, 1, (_, n) => n + 1);
        return attempt <= job.Failures ? throw new InvalidOperationException($"attempt {attempt} failed") : default;
    }
}

[Collection(TelemetrySensitive.Name)]
public sealed class DispatchLoopTelemetryTests
{
    private static readonly RetryPolicy FastRetries = new() { MaxAttempts = 3, InitialDelay = TimeSpan.Zero, Jitter = 0 };

    [Fact]
    public async Task Enqueue_DeliverySpansJoinTheProducersTraceWithAttemptNumbers()
    {
        using var capture = new TelemetryCapture();
        await using var loop = new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions { RetryPolicy = FastRetries });
        loop.Start();
        var key = Guid.NewGuid().ToString("N");

        await loop.EnqueueAsync(new TracedJob(key, Failures: 1));
        await loop.StopAsync(TimeSpan.FromSeconds(30));

        var enqueue = Assert.Single(capture.Spans, s => Equals(s.GetTagItem("messaging.operation.name"), "enqueue"));
        Assert.Equal(ActivityKind.Producer, enqueue.Kind);
        var attempts = capture.Spans.Where(s => Equals(s.GetTagItem("messaging.operation.name"), "process")).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(new object?[] { 1, 2 }, attempts.Select(s => s.GetTagItem("eventrouter.attempt")));
        Assert.All(attempts, s => Assert.Equal(enqueue.SpanId, s.ParentSpanId));
        Assert.Equal(ActivityStatusCode.Error, attempts[0].Status);
        Assert.Equal(ActivityStatusCode.Unset, attempts[1].Status);
        var retry = Assert.Single(capture.Spans, s => Equals(s.GetTagItem("messaging.operation.name"), "retry"));
        Assert.Equal(enqueue.SpanId, retry.ParentSpanId);
        Assert.Contains(capture.Measurements("eventrouter.listener.retried"), m => Equals(m.Tags["eventrouter.listener"], typeof(TracedJobWorker).FullName));
        Assert.Contains(capture.Measurements("eventrouter.events.published"), m => Equals(m.Tags["messaging.destination.name"], typeof(TracedJob).FullName));
    }

    [Fact]
    public async Task LastAttemptFails_DeadLetterIsCountedAndMarkedInTheTrace()
    {
        using var capture = new TelemetryCapture();
        await using var loop = new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions { RetryPolicy = FastRetries });
        loop.Start();

        await loop.EnqueueAsync(new TracedJob(Guid.NewGuid().ToString("N"), Failures: 10));
        await loop.StopAsync(TimeSpan.FromSeconds(30));

        var marker = Assert.Single(capture.Spans, s => Equals(s.GetTagItem("messaging.operation.name"), "dead_letter"));
        Assert.Equal(3, marker.GetTagItem("eventrouter.attempt"));
        Assert.Single(capture.Measurements("eventrouter.events.dead_lettered"));
        Assert.Equal(2, capture.Spans.Count(s => Equals(s.GetTagItem("messaging.operation.name"), "retry")));
    }

    [Fact]
    public async Task QueueDepthGauge_ReportsQueuedEventsPerLoop()
    {
        using var capture = new TelemetryCapture();
        await using var loop = new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions { MaxParallelism = 1 });

        // Not started: everything stays queued.
        await loop.EnqueueAsync(new TracedJob(Guid.NewGuid().ToString("N"), 0));
        await loop.EnqueueAsync(new TracedJob(Guid.NewGuid().ToString("N"), 0));
        capture.RecordObservableInstruments();

        Assert.Contains(capture.Measurements("eventrouter.dispatch_loop.queue_depth"), m => m.Value == 2);
        loop.Start();
    }

    [Fact]
    public async Task QueueDepthGauge_StoppedLoop_IsNoLongerReported()
    {
        using var capture = new TelemetryCapture();
        var loop = new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions { MaxParallelism = 1 });
        for (var i = 0; i < 3; i++)
        {
            await loop.EnqueueAsync(new TracedJob(Guid.NewGuid().ToString("N"), 0));
        }
        capture.RecordObservableInstruments();
        var instance = capture.Measurements("eventrouter.dispatch_loop.queue_depth").Single(m => m.Value == 3).Tags["eventrouter.instance"];

        loop.Start();
        await loop.StopAsync(TimeSpan.FromSeconds(30));
        capture.RecordObservableInstruments();

        Assert.Single(capture.Measurements("eventrouter.dispatch_loop.queue_depth"), m => Equals(m.Tags["eventrouter.instance"], instance));
        GC.KeepAlive(loop);
    }

    [Fact]
    public async Task Harness_RecordsEnqueueRetryAndDeadLetterInOrder()
    {
        using var harness = EventRouterTestHarness.Start();
        await using var loop = new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions { RetryPolicy = FastRetries });
        loop.Start();

        await loop.EnqueueAsync(new TracedJob(Guid.NewGuid().ToString("N"), Failures: 10));
        await loop.StopAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(
            new[] { RecordKind.Enqueued, RecordKind.Failed, RecordKind.Retried, RecordKind.Failed, RecordKind.Retried, RecordKind.Failed, RecordKind.DeadLettered },
            harness.Records.Select(r => r.Kind));
        Assert.Equal(3, harness.Of(RecordKind.DeadLettered).Single().Attempt);
    }

    [Fact]
    public async Task Harness_TrackedLoop_WaitForQuietWaitsForDeliveriesWithoutStoppingTheLoop()
    {
        using var harness = EventRouterTestHarness.Start();
        await using var loop = new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions { RetryPolicy = FastRetries });
        harness.Track(loop);
        loop.Start();

        await loop.EnqueueAsync(new TracedJob(Guid.NewGuid().ToString("N"), Failures: 1));
        await harness.WaitForQuietAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(
            new[] { RecordKind.Enqueued, RecordKind.Failed, RecordKind.Retried, RecordKind.Handled },
            harness.Records.Select(r => r.Kind));
        Assert.Equal(0, loop.QueuedCount);
    }
}
