using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;
using EventRouter.Testing;
using EventRouter.Tests.Infrastructure;
using EventRouter.Tests.Modules;

namespace EventRouter.Tests.Observability;

[Collection(TelemetrySensitive.Name)]
public sealed class ModuleStreamTelemetryTests : IAsyncLifetime
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private readonly StreamTestModule _module = new();
    private ModuleServer<StreamTestModule>? _server;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private StreamTestModuleClient Start()
    {
        _server = new ModuleServer<StreamTestModule>(_module);
        _server.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return new StreamTestModuleClient(_server);
    }

    private static async Task<List<T>> ReadAllAsync<T>(IAsyncEnumerable<T> stream)
    {
        var items = new List<T>();
        await foreach (var item in stream)
        {
            items.Add(item);
        }
        return items;
    }

    private static Activity Span(TelemetryCapture capture, string operation) =>
        Assert.Single(capture.Spans, s => Equals(s.GetTagItem("messaging.operation.name"), operation));

    // The process span ends on the module's loop, after the handler's finally: the reader may be done before it.
    private static Task WaitForSpanAsync(TelemetryCapture capture, string operation) =>
        Eventually.WaitUntilAsync(() => capture.Spans.Any(s => Equals(s.GetTagItem("messaging.operation.name"), operation)), operation + " span", HangGuard);

    [Fact]
    public async Task Stream_ReadToTheEnd_ProcessSpanIsServerChildOfTheClientStreamSpan()
    {
        var client = Start();
        using var capture = new TelemetryCapture();

        Assert.Equal(new[] { 0, 1, 2 }, await ReadAllAsync(client.StreamAsync(new CountTo(3))).WaitAsync(HangGuard));
        // The reader's code between items ran under its own span, not the stream's.
        Assert.Same(capture.Root, Activity.Current);
        await WaitForSpanAsync(capture, "process");

        var stream = Span(capture, "stream");
        Assert.Equal("stream StreamTestModule/CountTo", stream.OperationName);
        Assert.Equal(ActivityKind.Client, stream.Kind);
        Assert.Equal(capture.Root!.SpanId, stream.ParentSpanId);
        Assert.Equal("send", stream.GetTagItem("messaging.operation.type"));
        Assert.Equal("StreamTestModule/CountTo", stream.GetTagItem("messaging.destination.name"));
        Assert.Equal("StreamTestModule", stream.GetTagItem("eventrouter.module"));
        Assert.Equal(new CountTo(3), stream.GetCustomProperty("eventrouter.event"));
        Assert.Equal(ActivityStatusCode.Unset, stream.Status);

        var process = Span(capture, "process");
        Assert.Equal("process StreamTestModule/CountTo", process.OperationName);
        TelemetryCapture.AssertProcessChildOf(stream, process, "StreamTestModule");
    }

    [Fact]
    public async Task Stream_HandlerThrows_BothSpansRecordTheException()
    {
        var client = Start();
        using var capture = new TelemetryCapture();

        await Assert.ThrowsAsync<CustomModuleException>(() => ReadAllAsync(client.StreamAsync(new FailAfter(2)))).WaitAsync(HangGuard);
        await WaitForSpanAsync(capture, "process");

        foreach (var span in new[] { Span(capture, "stream"), Span(capture, "process") })
        {
            Assert.Equal(ActivityStatusCode.Error, span.Status);
            Assert.IsType<CustomModuleException>(span.GetCustomProperty("eventrouter.exception"));
            var error = Assert.Single(span.Events, e => e.Name == "exception");
            Assert.Equal(typeof(CustomModuleException).FullName, error.Tags.Single(t => t.Key == "exception.type").Value);
        }
    }

    [Fact]
    public async Task Stream_ReaderBreaks_BothSpansEndWithoutAnError()
    {
        var client = Start();
        using var capture = new TelemetryCapture();

        await foreach (var item in client.StreamAsync(new Endless("t")).WithCancellation(CancellationToken.None))
        {
            if (item == 2)
            {
                break;
            }
        }
        Assert.True(await _module.Finished.Task.WaitAsync(HangGuard));
        await WaitForSpanAsync(capture, "process");

        Assert.Equal(ActivityStatusCode.Unset, Span(capture, "stream").Status);
        Assert.Equal(ActivityStatusCode.Unset, Span(capture, "process").Status);
    }

    [Fact]
    public async Task Stream_CallerCancels_StreamSpanRecordsTheCancellation()
    {
        var client = Start();
        using var capture = new TelemetryCapture();
        using var cts = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var item in client.StreamAsync(new StallAfter(1), cts.Token))
            {
                cts.Cancel();
            }
        }).WaitAsync(HangGuard);
        Assert.True(await _module.Finished.Task.WaitAsync(HangGuard));
        await WaitForSpanAsync(capture, "process");

        var stream = Span(capture, "stream");
        Assert.Equal(ActivityStatusCode.Error, stream.Status);
        Assert.IsAssignableFrom<OperationCanceledException>(stream.GetCustomProperty("eventrouter.exception"));
        // The handler reacting to its cancelled token is the stream's end, not a failure of the handler.
        Assert.Equal(ActivityStatusCode.Unset, Span(capture, "process").Status);
    }

    [Fact]
    public async Task Stream_AfterStop_RefusedStreamSpanRecordsModuleStopped()
    {
        var client = Start();
        await _server!.ShutdownAsync().WaitAsync(HangGuard);
        using var capture = new TelemetryCapture();

        await Assert.ThrowsAsync<ModuleStoppedException>(() => ReadAllAsync(client.StreamAsync(new CountTo(1))));

        var stream = Span(capture, "stream");
        Assert.Equal(ActivityStatusCode.Error, stream.Status);
        Assert.IsType<ModuleStoppedException>(stream.GetCustomProperty("eventrouter.exception"));
        Assert.DoesNotContain(capture.Spans, s => Equals(s.GetTagItem("messaging.operation.name"), "process"));
    }

    [Fact]
    public async Task Harness_RecordsAStreamHandlerAsHandledOrFailed()
    {
        var client = Start();
        using var harness = EventRouterTestHarness.Start();
        harness.Track(_server!);

        await ReadAllAsync(client.StreamAsync(new CountTo(2))).WaitAsync(HangGuard);
        await Assert.ThrowsAsync<CustomModuleException>(() => ReadAllAsync(client.StreamAsync(new FailAfter(1)))).WaitAsync(HangGuard);
        await harness.WaitForQuietAsync(HangGuard);

        Assert.Equal(new[] { RecordKind.Handled, RecordKind.Failed }, harness.Records.Select(r => r.Kind));
        var handled = harness.Of(RecordKind.Handled).Single();
        Assert.Equal(("StreamTestModule/CountTo", "StreamTestModule", (object?)new CountTo(2)), (handled.Name, handled.Handler, handled.Payload));
        Assert.IsType<CustomModuleException>(harness.Of(RecordKind.Failed).Single().Exception);
    }
}
