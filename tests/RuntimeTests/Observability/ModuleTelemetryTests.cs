using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;
using EventRouter.Testing;
using EventRouter.Tests.Modules;

namespace EventRouter.Tests.Observability;

[Collection(TelemetrySensitive.Name)]
public sealed class ModuleTelemetryTests : IAsyncLifetime
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private ModuleServer<TestModule>? _server;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private TestModuleClient Start(bool inline, string? name = null, bool start = true)
    {
        _server = new ModuleServer<TestModule>(new TestModule(), new ModuleServerOptions { RunInlineWhenIdle = inline, Name = name });
        if (start)
        {
            _server.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        return new TestModuleClient(_server);
    }

    [Fact]
    public async Task Request_Queued_ProcessSpanIsServerChildOfTheClientRequestSpanAcrossTheChannel()
    {
        var client = Start(inline: false);
        using var capture = new TelemetryCapture();

        Assert.Equal(new EchoReply(7), await client.RequestAsync(new Echo(7)).AsTask().WaitAsync(HangGuard));

        var request = Assert.Single(capture.Spans, s => Equals(s.GetTagItem("messaging.operation.name"), "request"));
        Assert.Equal("request TestModule/Echo", request.OperationName);
        Assert.Equal(ActivityKind.Client, request.Kind);
        Assert.Equal(capture.Root!.SpanId, request.ParentSpanId);
        Assert.Equal("eventrouter", request.GetTagItem("messaging.system"));
        Assert.Equal("TestModule/Echo", request.GetTagItem("messaging.destination.name"));
        Assert.Equal("TestModule", request.GetTagItem("eventrouter.module"));
        Assert.Equal(new Echo(7), request.GetCustomProperty("eventrouter.event"));

        var process = Assert.Single(capture.Spans, s => Equals(s.GetTagItem("messaging.operation.name"), "process"));
        TelemetryCapture.AssertProcessChildOf(request, process, "TestModule");
    }

    [Fact]
    public async Task Request_IdleInline_ProcessSpanIsServerChildOfTheRequestSpan()
    {
        var client = Start(inline: true);
        await WaitUntilInlineReady(client);
        using var capture = new TelemetryCapture();

        var reply = client.RequestAsync(new Add(2, 3));

        Assert.True(reply.IsCompletedSuccessfully); // ran inline on this thread
        Assert.Equal(5, await reply);
        var request = Assert.Single(capture.Spans, s => Equals(s.GetTagItem("messaging.operation.name"), "request"));
        var process = Assert.Single(capture.Spans, s => Equals(s.GetTagItem("messaging.operation.name"), "process"));
        Assert.Equal(request.SpanId, process.ParentSpanId);
        Assert.Equal(request.TraceId, process.TraceId);
        Assert.Equal(capture.Root!.SpanId, request.ParentSpanId);
        // The caller continues under its own span, not the module's.
        Assert.Same(capture.Root, Activity.Current);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Request_HandlerThrows_BothSpansRecordTheErrorAndTheDurationSaysFailure(bool inline)
    {
        var client = Start(inline);
        using var capture = new TelemetryCapture();

        await Assert.ThrowsAsync<CustomModuleException>(() => client.RequestAsync(new Throw("custom")).AsTask().WaitAsync(HangGuard));

        var request = Assert.Single(capture.Spans, s => Equals(s.GetTagItem("messaging.operation.name"), "request"));
        var process = Assert.Single(capture.Spans, s => Equals(s.GetTagItem("messaging.operation.name"), "process"));
        foreach (var span in new[] { request, process })
        {
            Assert.Equal(ActivityStatusCode.Error, span.Status);
            Assert.IsType<CustomModuleException>(span.GetCustomProperty("eventrouter.exception"));
            var exception = Assert.Single(span.Events, e => e.Name == "exception");
            Assert.Contains(exception.Tags, t => t.Key == "exception.type" && Equals(t.Value, typeof(CustomModuleException).FullName));
        }
        var duration = Assert.Single(capture.Measurements("eventrouter.module.request.duration"));
        Assert.Equal("failure", duration.Tags["eventrouter.outcome"]);
    }

    [Fact]
    public async Task Request_Succeeds_RecordsDurationWithModuleRequestTypeAndOutcome()
    {
        var client = Start(inline: false);
        using var capture = new TelemetryCapture();

        await client.RequestAsync(new Echo(1)).AsTask().WaitAsync(HangGuard);

        var duration = Assert.Single(capture.Measurements("eventrouter.module.request.duration"));
        Assert.True(duration.Value >= 0);
        Assert.Equal("TestModule", duration.Tags["eventrouter.module"]);
        Assert.Equal("Echo", duration.Tags["eventrouter.module.request_type"]);
        Assert.Equal("success", duration.Tags["eventrouter.outcome"]);
    }

    [Fact]
    public async Task Command_ProcessSpanIsConsumerChildOfTheProducerCommandSpan_FailureRecordedAndCounted()
    {
        var client = Start(inline: false);
        using var capture = new TelemetryCapture();

        await client.SendAsync(new Note("hi"));
        await client.SendAsync(new FailCommand("sync"));
        await _server!.ShutdownAsync().WaitAsync(HangGuard);

        var commands = capture.Spans.Where(s => Equals(s.GetTagItem("messaging.operation.name"), "command")).ToList();
        Assert.Equal(new[] { "command TestModule/Note", "command TestModule/FailCommand" }, commands.Select(s => s.OperationName));
        Assert.All(commands, s => Assert.Equal(ActivityKind.Producer, s.Kind));
        var processes = capture.Spans.Where(s => Equals(s.GetTagItem("messaging.operation.name"), "process")).ToList();
        Assert.Equal(2, processes.Count);
        Assert.All(processes, s => Assert.Equal(ActivityKind.Consumer, s.Kind));
        var note = processes.Single(s => Equals(s.GetTagItem("messaging.destination.name"), "TestModule/Note"));
        var fail = processes.Single(s => Equals(s.GetTagItem("messaging.destination.name"), "TestModule/FailCommand"));
        Assert.Equal(commands[0].SpanId, note.ParentSpanId);
        Assert.Equal(commands[1].SpanId, fail.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Unset, note.Status);
        Assert.Equal(ActivityStatusCode.Error, fail.Status);
        Assert.Contains(capture.Measurements("eventrouter.module.command.failures"), m => Equals(m.Tags["eventrouter.module"], "TestModule"));
    }

    [Fact]
    public async Task Request_Instrumented_StaleValueTaskAwaitedAgain_ThrowsLikeTheUninstrumentedPath()
    {
        var client = Start(inline: false);
        using var capture = new TelemetryCapture();
        var first = client.RequestAsync(new Echo(1));
        Assert.Equal(new EchoReply(1), await first);

        Assert.Throws<InvalidOperationException>(() => first.GetAwaiter().GetResult());
    }

    [Fact]
    public async Task Request_ReentrantUnderTracing_StillFailsFastAndIsRecordedAsRejected()
    {
        var relay = new RelayModule();
        await using var server = new ModuleServer<RelayModule>(relay);
        await server.StartAsync(CancellationToken.None);
        var client = new RelayModuleClient(server);
        relay.Peer = client;
        using var capture = new TelemetryCapture();

        await Assert.ThrowsAsync<ModuleReentrancyException>(() => client.RequestAsync(new Ping(1)).AsTask().WaitAsync(HangGuard));

        // The inner request is refused; the outer one fails with the same exception, thrown by its handler.
        var durations = capture.Measurements("eventrouter.module.request.duration");
        Assert.Equal(2, durations.Count);
        Assert.All(durations, m => Assert.Equal("rejected", m.Tags["eventrouter.outcome"]));
        var process = Assert.Single(capture.Spans, s => Equals(s.GetTagItem("messaging.operation.name"), "process"));
        Assert.Equal(ActivityStatusCode.Error, process.Status);
    }

    [Fact]
    public async Task QueueDepthGauge_ReportsQueuedMessagesPerServer()
    {
        var name = "depth-" + Guid.NewGuid().ToString("N");
        var client = Start(inline: false, name, start: false);
        using var capture = new TelemetryCapture();

        // Not started: the commands stay in the channel.
        await client.SendAsync(new Note("1"));
        await client.SendAsync(new Note("2"));
        await client.SendAsync(new Note("3"));
        capture.RecordObservableInstruments();

        Assert.Contains(capture.Measurements("eventrouter.module.queue_depth"), m => m.Value == 3 && Equals(m.Tags["eventrouter.instance"], name));
        await _server!.StartAsync(CancellationToken.None);
    }

    [Fact]
    public async Task QueueDepthGauge_StoppedServer_IsNoLongerReported()
    {
        var name = "stopped-" + Guid.NewGuid().ToString("N");
        Start(inline: false, name);
        await _server!.ShutdownAsync().WaitAsync(HangGuard);
        using var capture = new TelemetryCapture();

        capture.RecordObservableInstruments();

        Assert.DoesNotContain(capture.Measurements("eventrouter.module.queue_depth"), m => Equals(m.Tags["eventrouter.instance"], name));
    }

    [Fact]
    public async Task Harness_RecordsModuleRequestsCommandsAndTheirOutcomes()
    {
        var client = Start(inline: false);
        using var harness = EventRouterTestHarness.Start();
        harness.Track(_server!);

        await client.RequestAsync(new Echo(1)).AsTask().WaitAsync(HangGuard);
        await client.SendAsync(new FailCommand("async"));
        await harness.WaitForQuietAsync(HangGuard);

        Assert.Equal(
            new[] { RecordKind.ModuleRequest, RecordKind.Handled, RecordKind.ModuleCommand, RecordKind.Failed },
            harness.Records.Select(r => r.Kind));
        var handled = harness.Of(RecordKind.Handled).Single();
        Assert.Equal("TestModule/Echo", handled.Name);
        Assert.Equal("TestModule", handled.Handler);
        Assert.Equal(new Echo(1), handled.Payload);
        Assert.IsType<FormatException>(harness.Of(RecordKind.Failed).Single().Exception);
        Assert.Equal(new Echo(1), harness.Of(RecordKind.ModuleRequest).Single().Payload);
    }

    [Fact]
    public async Task Request_NobodyListeningAfterAListenerWasDetached_AllocatesNothing()
    {
        var client = Start(inline: true);
        await WaitUntilInlineReady(client);
        using (new TelemetryCapture())
        {
            // Exercise the instrumented path first: detaching must bring the zero-cost path back.
            await client.RequestAsync(new Add(1, 1));
        }
        var (allocated, total) = InlineRequests.MeasureInline(i => client.RequestAsync(new Add(i, 1)));

        Assert.Equal(Enumerable.Range(1, 1000).Sum(), total);
        Assert.Equal(0, allocated);
    }

    private static T CompletedResult<T>(ValueTask<T> completed) => InlineRequests.CompletedResult(completed);

    private static Task WaitUntilInlineReady(TestModuleClient client) => InlineRequests.WaitUntilInlineReadyAsync(() => client.RequestAsync(new Add(0, 0)));
}
