using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Generated;
using EventRouter.Tests.Publish;

namespace EventRouter.Tests.Observability;

[Collection(TelemetrySensitive.Name)]
public sealed class PublishTelemetryTests
{
    [Fact]
    public async Task Publish_WithListener_EmitsPublishSpanAndOneChildSpanPerListener()
    {
        using var capture = new TelemetryCapture();
        var dispatcher = new EventDispatcher();

        await dispatcher.PublishAsync(new OrderPlaced(1));

        var publish = Assert.Single(capture.Spans, s => s.OperationName == "publish tests.order-placed");
        Assert.Equal(ActivityKind.Producer, publish.Kind);
        Assert.Equal(capture.Root!.SpanId, publish.ParentSpanId);
        Assert.Equal("publish", publish.GetTagItem("messaging.operation.name"));
        Assert.Equal("tests.order-placed", publish.GetTagItem("messaging.destination.name"));
        Assert.Equal("eventrouter", publish.GetTagItem("messaging.system"));
        var process = capture.Spans.Where(s => s.OperationName == "process tests.order-placed").ToList();
        Assert.Equal(2, process.Count);
        Assert.All(process, s => Assert.Equal(publish.SpanId, s.ParentSpanId));
        Assert.Equal(
            new object?[] { typeof(DomainEventLog).FullName, typeof(OrderAudit).FullName },
            process.OrderBy(s => s.StartTimeUtc).Select(s => s.GetTagItem("eventrouter.listener")));
    }

    [Fact]
    public async Task Publish_FailingListener_MarksItsSpanAsErrorAndCountsTheFailure()
    {
        using var capture = new TelemetryCapture();
        var dispatcher = new EventDispatcher();

        await Assert.ThrowsAsync<EventPublishException>(() => dispatcher.PublishAsync(new FailingEvent("sync")).AsTask());

        var failed = Assert.Single(capture.Spans, s => Equals(s.GetTagItem("eventrouter.listener"), typeof(FailingA).FullName));
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.Contains(failed.Events, e => e.Name == "exception");
        var publish = Assert.Single(capture.Spans, s => s.OperationName.StartsWith("publish ", StringComparison.Ordinal));
        Assert.Equal(ActivityStatusCode.Error, publish.Status);

        var failures = capture.Measurements("eventrouter.listener.failed");
        Assert.Contains(failures, m => Equals(m.Tags["eventrouter.listener"], typeof(FailingA).FullName));
        var handled = capture.Measurements("eventrouter.listener.handled");
        Assert.Contains(handled, m => Equals(m.Tags["eventrouter.listener"], typeof(FailingB).FullName));
    }

    [Fact]
    public async Task Publish_RecordsPublishedCounterAndListenerDuration()
    {
        using var capture = new TelemetryCapture();
        var dispatcher = new EventDispatcher();

        await dispatcher.PublishAsync(new Ping(1));

        Assert.Contains(capture.Measurements("eventrouter.events.published"),
            m => m.Value == 1 && Equals(m.Tags["messaging.destination.name"], typeof(Ping).FullName));
        Assert.Contains(capture.Measurements("eventrouter.listener.duration"),
            m => m.Value >= 0 && Equals(m.Tags["eventrouter.listener"], typeof(PingCounter).FullName));
    }

    [Fact]
    public void Publish_MeterListenerOfModuleInstrumentOnly_StaysOnTheFastPathAndAllocatesNothing()
    {
        using var meters = ListenTo("eventrouter.module.request.duration", (_, _) => { });

        AssertSynchronousPublishAllocatesNothing();
    }

    [Fact]
    public async Task Publish_MeterListenerOfListenerDurationOnly_IsRecorded()
    {
        var listeners = new ConcurrentQueue<object?>();
        using var meters = ListenTo("eventrouter.listener.duration", (_, tags) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "eventrouter.listener")
                {
                    listeners.Enqueue(tag.Value);
                }
            }
        });

        await new EventDispatcher().PublishAsync(new Ping(1));

        Assert.Contains(typeof(PingCounter).FullName, listeners);
    }

    // The fast path decides per publish whether anything listens (System.Diagnostics notifies nobody when a listener
    // attaches), so a listener attached after a publish took the fast path sees the very next one.
    [Theory]
    [InlineData("eventrouter.events.published")]
    [InlineData("eventrouter.listener.handled")]
    [InlineData("eventrouter.listener.duration")]
    public async Task Publish_MeterListenerAttachedBetweenTwoPublishes_SeesTheSecond(string instrument)
    {
        var dispatcher = new EventDispatcher();
        var ping = new Ping(1);
        Assert.True(dispatcher.PublishAsync(ping).IsCompletedSuccessfully);
        var recorded = 0;

        using (ListenTo(instrument, (_, _) => Interlocked.Increment(ref recorded)))
        {
            await dispatcher.PublishAsync(ping);
            Assert.Equal(1, Volatile.Read(ref recorded));
        }

        await dispatcher.PublishAsync(ping);
        Assert.Equal(1, Volatile.Read(ref recorded));
    }

    [Fact]
    public async Task Publish_MeterListenerOfFailuresAttachedBetweenTwoPublishes_CountsTheSecondFailure()
    {
        var dispatcher = new EventDispatcher();
        var failing = new FailingEvent("sync");
        await Assert.ThrowsAsync<EventPublishException>(() => dispatcher.PublishAsync(failing).AsTask());
        var recorded = 0;

        using (ListenTo("eventrouter.listener.failed", (_, _) => Interlocked.Increment(ref recorded)))
        {
            await Assert.ThrowsAsync<EventPublishException>(() => dispatcher.PublishAsync(failing).AsTask());
        }

        Assert.Equal(1, Volatile.Read(ref recorded));
    }

    [Fact]
    public async Task Publish_ActivityListenerAttachedBetweenTwoPublishes_SeesTheSecond()
    {
        var dispatcher = new EventDispatcher();
        var ping = new Ping(1);
        Assert.True(dispatcher.PublishAsync(ping).IsCompletedSuccessfully);
        var root = new ActivitySource("EventRouter.Tests." + Guid.NewGuid().ToString("N"));
        var spans = new ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == EventRouterDiagnostics.ActivitySourceName || s == root,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        listener.ActivityStopped = a =>
        {
            if (a.Source.Name == EventRouterDiagnostics.ActivitySourceName && a.TraceId == Activity.Current?.TraceId)
            {
                spans.Enqueue(a.OperationName);
            }
        };
        ActivitySource.AddActivityListener(listener);
        using var test = root.StartActivity("test-root");

        await dispatcher.PublishAsync(ping);

        Assert.Contains("publish " + typeof(Ping).FullName, spans);
        Assert.Contains("process " + typeof(Ping).FullName, spans);
    }

    /// <summary>A meter listener that enables one EventRouter instrument and nothing else.</summary>
    private static MeterListener ListenTo(string instrumentName, Action<double, KeyValuePair<string, object?>[]> record)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == EventRouterDiagnostics.MeterName && instrument.Name == instrumentName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) => record(value, tags.ToArray()));
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => record(value, tags.ToArray()));
        listener.Start();
        return listener;
    }

    [Fact]
    public void Publish_NobodyListening_TakesTheFastPathAndAllocatesNothing() => AssertSynchronousPublishAllocatesNothing();

    /// <summary>The instrumented path allocates per publish (spans, tags, state machines); the fast path does not.</summary>
    private static void AssertSynchronousPublishAllocatesNothing()
    {
        var dispatcher = new EventDispatcher();
        var ping = new Ping(1);

        var allocated = Allocations.OnThisThread(
            _ => Assert.True(dispatcher.PublishAsync(ping).IsCompletedSuccessfully),
            warmUp: i => _ = dispatcher.PublishAsync(ping));

        Assert.Equal(0, allocated);
    }
}
