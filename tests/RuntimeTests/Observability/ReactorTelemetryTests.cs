using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Reactor;
using EventRouter.Tests.Reactor;

namespace EventRouter.Tests.Observability;

[Collection(TelemetrySensitive.Name)]
public sealed class ReactorTelemetryTests
{
    /// <summary>Connection-event spans are roots (each event is its own unit of work): capture them by loop name.</summary>
    private sealed class ConnectionSpans : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly ConcurrentQueue<Activity> _spans = new();

        public ConnectionSpans(string loopPrefix)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = s => s.Name == EventRouterDiagnostics.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = a =>
                {
                    if (a.GetTagItem("eventrouter.event_loop") is string loop && loop.StartsWith(loopPrefix, StringComparison.Ordinal))
                    {
                        _spans.Enqueue(a);
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public Activity[] Spans => _spans.ToArray();

        public void Dispose() => _listener.Dispose();
    }

    private sealed class FailingHandler : EchoHandler
    {
        public override ValueTask OnFrameAsync(TcpConnection connection, ReadOnlySequence<byte> frame) =>
            throw new InvalidOperationException("bad frame");
    }

    [Fact]
    public async Task Connection_EmitsOpenedFrameAndClosedSpansWithTheCloseReason()
    {
        var prefix = "traced-" + Guid.NewGuid().ToString("N");
        using var spans = new ConnectionSpans(prefix);
        await using var group = new EventLoopGroup(1, new EventLoopOptions { Name = prefix });
        var handler = new EchoHandler();
        var server = new TcpServer(group, new TcpServerOptions { Codec = FrameCodec.LengthPrefixed(), Handler = handler });
        server.Start();

        using (var client = await Net.ConnectAsync(server.LocalEndPoint))
        {
            var frame = Net.LengthPrefixed(new byte[] { 1, 2, 3 });
            await Net.SendAllAsync(client, frame);
            Assert.Equal(frame, await Net.ReceiveExactlyAsync(client, frame.Length));
        }
        var closed = await handler.FirstClose.Task.WaitAsync(Net.Timeout);
        await Eventually.WaitUntilAsync(() => spans.Spans.Any(s => Equals(s.GetTagItem("eventrouter.connection.event"), "closed")));
        await server.StopAsync();

        var all = spans.Spans.Where(s => Equals(s.GetTagItem("eventrouter.connection.id"), closed.Connection.Id)).ToList();
        Assert.Equal(new[] { "connection opened", "connection frame", "connection closed" }, all.Select(s => s.OperationName));
        var frameSpan = all[1];
        Assert.Equal(ActivityKind.Consumer, frameSpan.Kind);
        Assert.Equal(3L, frameSpan.GetTagItem("messaging.message.body.size"));
        Assert.Equal("tcp", frameSpan.GetTagItem("network.transport"));
        Assert.Equal(prefix + "-0", frameSpan.GetTagItem("eventrouter.event_loop"));
        Assert.Equal(nameof(CloseReason.RemoteClosed), all[2].GetTagItem("eventrouter.close_reason"));
        Assert.All(all, s => Assert.Equal(ActivityStatusCode.Unset, s.Status));
    }

    [Fact]
    public async Task FrameHandlerThrows_FrameSpanRecordsTheErrorAndClosedSpanTheReason()
    {
        var prefix = "failing-" + Guid.NewGuid().ToString("N");
        using var spans = new ConnectionSpans(prefix);
        await using var group = new EventLoopGroup(1, new EventLoopOptions { Name = prefix });
        var handler = new FailingHandler();
        var server = new TcpServer(group, new TcpServerOptions { Codec = FrameCodec.LengthPrefixed(), Handler = handler });
        server.Start();

        using var client = await Net.ConnectAsync(server.LocalEndPoint);
        await Net.SendAllAsync(client, Net.LengthPrefixed(new byte[] { 9 }));
        await handler.FirstClose.Task.WaitAsync(Net.Timeout);
        await Eventually.WaitUntilAsync(() => spans.Spans.Any(s => Equals(s.GetTagItem("eventrouter.connection.event"), "closed")));
        await server.StopAsync();

        var frame = Assert.Single(spans.Spans, s => s.OperationName == "connection frame");
        Assert.Equal(ActivityStatusCode.Error, frame.Status);
        Assert.IsType<InvalidOperationException>(frame.GetCustomProperty("eventrouter.exception"));
        var closed = Assert.Single(spans.Spans, s => s.OperationName == "connection closed");
        Assert.Equal(nameof(CloseReason.HandlerFailed), closed.GetTagItem("eventrouter.close_reason"));
        Assert.Equal(typeof(InvalidOperationException).FullName, closed.GetTagItem("error.type"));
    }

    [Fact]
    public async Task EventLoopLagGauge_ReportsEachLoopUntilItStops()
    {
        var name = "lag-" + Guid.NewGuid().ToString("N");
        var loop = new EventLoop(new EventLoopOptions { Name = name, BlockedThreshold = TimeSpan.FromMilliseconds(20) });
        using var capture = new TelemetryCapture();
        // Wait for the watchdog's first lag probe, so the gauge has a measured value.
        await Eventually.WaitUntilAsync(() => loop.Lag > TimeSpan.Zero);

        capture.RecordObservableInstruments();
        var lag = Assert.Single(capture.Measurements("eventrouter.event_loop.lag"), m => Equals(m.Tags["eventrouter.instance"], name));
        // The loop keeps measuring, so the reading is compared for plausibility, not equality with a later Lag.
        Assert.InRange(lag.Value, 0, 10);

        await loop.DisposeAsync();
        using var after = new TelemetryCapture();
        after.RecordObservableInstruments();
        Assert.DoesNotContain(after.Measurements("eventrouter.event_loop.lag"), m => Equals(m.Tags["eventrouter.instance"], name));
    }

    [Fact]
    public void EveryInstrument_IsOnTheOneEventRouterMeter()
    {
        // Create every instrument first: a listener only hears about instruments that exist.
        foreach (var type in new[] { typeof(Telemetry), typeof(ReactorMetrics), typeof(EventRouter.Modules.ModuleMetrics) })
        {
            RuntimeHelpers.RunClassConstructor(type.TypeHandle);
        }
        var meters = new ConcurrentBag<Meter>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Name.StartsWith("eventrouter.", StringComparison.Ordinal))
                {
                    meters.Add(instrument.Meter);
                }
            },
        };
        listener.Start();

        Assert.Contains(meters, m => m.Name == EventRouterDiagnostics.MeterName);
        Assert.Single(meters.Distinct());
        Assert.Contains(meters, m => m.Name == EventRouterDiagnostics.MeterName);
    }
}
