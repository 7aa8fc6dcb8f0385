using System;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Modules;
using EventRouter.Reactor;
using EventRouter.Tests.DispatchLoop;
using EventRouter.Tests.Modules;
using EventRouter.Tests.Reactor;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EventRouter.Tests.Hosting;

/// <summary>The reactor started and stopped by the host, and the token overloads of every lifecycle method.</summary>
public sealed class ReactorHostingTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AddEventLoopGroup_Host_StartsLoopsAndShutsThemDownAtStop()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddEventRouter();
        builder.Services.AddEventLoopGroup(o => o.Name = "hosted");
        builder.Services.Configure<EventLoopOptions>(o => o.LoopCount = 3);
        using var host = builder.Build();

        await host.StartAsync().WaitAsync(HangGuard);
        var group = host.Services.GetRequiredService<EventLoopGroup>();
        Assert.Equal(3, group.Count);
        var names = await Task.WhenAll(group.Loops.Select(loop => loop.InvokeAsync(() => Thread.CurrentThread.Name!)));
        Assert.Equal(new[] { "hosted-0", "hosted-1", "hosted-2" }, names);

        await host.StopAsync().WaitAsync(HangGuard);
        await Task.WhenAll(group.Loops.Select(loop => loop.Completion)).WaitAsync(HangGuard);
    }

    [Fact]
    public async Task AddEventLoopGroup_FromConfiguration_BindsNameCountAndThreshold()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new System.Collections.Generic.Dictionary<string, string?>
        {
            ["EventRouter:EventLoops:Name"] = "io",
            ["EventRouter:EventLoops:LoopCount"] = "2",
            ["EventRouter:EventLoops:BlockedThreshold"] = "00:00:03",
        });
        builder.Services.AddEventLoopGroup(builder.Configuration.GetSection("EventRouter:EventLoops"));
        using var host = builder.Build();

        await host.StartAsync().WaitAsync(HangGuard);
        var group = host.Services.GetRequiredService<EventLoopGroup>();
        var names = await Task.WhenAll(group.Loops.Select(loop => loop.InvokeAsync(() => Thread.CurrentThread.Name!)));
        Assert.Equal(new[] { "io-0", "io-1" }, names);
        Assert.All(group.Loops, loop => Assert.Equal(TimeSpan.FromSeconds(3), loop.BlockedThreshold));
        await host.StopAsync().WaitAsync(HangGuard);
    }

    [Fact]
    public async Task AddEventLoopGroup_InvalidConfiguredValue_FailsAtStartWithItsMessage()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new System.Collections.Generic.Dictionary<string, string?> { ["Loops:LoopCount"] = "-1" });
        builder.Services.AddEventLoopGroup(builder.Configuration.GetSection("Loops"));
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => host.StartAsync().WaitAsync(HangGuard));
        Assert.Contains("The loop count cannot be negative.", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddEventLoopGroup_InvalidValue_FailsAtStartWithItsMessage()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddEventLoopGroup(o => o.LoopCount = -1);
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => host.StartAsync().WaitAsync(HangGuard));
        Assert.Contains("The loop count cannot be negative.", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddTcpServer_Host_ListensFromStartAndClosesConnectionsAtStop()
    {
        var handler = new EchoHandler();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddEventRouter();
        builder.Services.AddEventLoopGroup(o => o.LoopCount = 1);
        builder.Services.AddTcpServer(o => o.Handler = handler);
        using var host = builder.Build();

        await host.StartAsync().WaitAsync(HangGuard);
        var server = host.Services.GetRequiredService<TcpServer>();
        using var socket = await Net.ConnectAsync(server.LocalEndPoint);
        await Net.SendAllAsync(socket, new byte[] { 1, 2, 3 });
        // Echoed twice on the hosted loop: by the handler, then by this assembly's ReactorEventsListener, which gets the
        // frame as a FrameReceived event because AddTcpServer wires in the container's publisher.
        Assert.Equal(new byte[] { 1, 2, 3, 1, 2, 3 }, await Net.ReceiveExactlyAsync(socket, 6));

        await host.StopAsync().WaitAsync(HangGuard);

        var closed = await handler.FirstClose.Task.WaitAsync(HangGuard);
        Assert.Equal(CloseReason.ServerStopping, closed.Reason);
        Assert.Equal(0, await Net.ReadUntilClosedAsync(socket)); // nothing more, then the server closed the connection
        Assert.Equal(0, handler.OffLoopCalls);
    }

    [Fact]
    public async Task AddTcpServer_FromConfiguration_BindsEverySetting_AndCodeSetsTheRest()
    {
        var handler = new EchoHandler();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new System.Collections.Generic.Dictionary<string, string?>
        {
            ["EventRouter:Tcp:Address"] = "127.0.0.1",
            ["EventRouter:Tcp:Port"] = "0",
            ["EventRouter:Tcp:MaxConnections"] = "7",
            ["EventRouter:Tcp:Backlog"] = "16",
            ["EventRouter:Tcp:ShutdownTimeout"] = "00:00:03",
            ["EventRouter:Tcp:MaxSendBufferSize"] = "4096",
            ["EventRouter:Tcp:ReceivePauseThreshold"] = "2048",
            ["EventRouter:Tcp:IdleTimeout"] = "00:01:00",
            ["EventRouter:Tcp:CloseTimeout"] = "00:00:02",
        });
        builder.Services.AddEventRouter();
        builder.Services.AddEventLoopGroup(o => o.LoopCount = 1);
        builder.Services.AddTcpServer(builder.Configuration.GetSection("EventRouter:Tcp"), o => o.Handler = handler);
        builder.Services.Configure<TcpServerOptions>(o => o.Backlog = 32); // after the section: wins over it
        using var host = builder.Build();

        await host.StartAsync().WaitAsync(HangGuard);
        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TcpServerOptions>>().Value;
        Assert.Equal(System.Net.IPAddress.Loopback, options.EndPoint.Address);
        Assert.Equal(7, options.MaxConnections);
        Assert.Equal(32, options.Backlog);
        Assert.Equal(TimeSpan.FromSeconds(3), options.ShutdownTimeout);
        Assert.Equal(4096, options.MaxSendBufferSize);
        Assert.Equal(2048, options.ReceivePauseThreshold);
        Assert.Equal(TimeSpan.FromMinutes(1), options.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), options.CloseTimeout);
        Assert.Same(handler, options.Handler);

        // The bound server works: it echoes (handler, then the published FrameReceived) as the code-only one does.
        var server = host.Services.GetRequiredService<TcpServer>();
        using var socket = await Net.ConnectAsync(server.LocalEndPoint);
        await Net.SendAllAsync(socket, new byte[] { 9 });
        Assert.Equal(new byte[] { 9, 9 }, await Net.ReceiveExactlyAsync(socket, 2));
        await host.StopAsync().WaitAsync(HangGuard);
    }

    [Fact]
    public async Task AddTcpServer_ConfigurationWithoutAHandler_PublishesFramesThroughTheContainer()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new System.Collections.Generic.Dictionary<string, string?> { ["Tcp:Port"] = "0" });
        builder.Services.AddEventRouter();
        builder.Services.AddEventLoopGroup(o => o.LoopCount = 1);
        builder.Services.AddTcpServer(builder.Configuration.GetSection("Tcp"));
        using var host = builder.Build();

        await host.StartAsync().WaitAsync(HangGuard);
        var server = host.Services.GetRequiredService<TcpServer>();
        using var socket = await Net.ConnectAsync(server.LocalEndPoint);
        await Net.SendAllAsync(socket, new byte[] { 4, 5 });
        // Echoed once, by this assembly's ReactorEventsListener on the FrameReceived event.
        Assert.Equal(new byte[] { 4, 5 }, await Net.ReceiveExactlyAsync(socket, 2));
        await host.StopAsync().WaitAsync(HangGuard);
    }

    [Theory]
    [InlineData("MaxConnections", "0", "MaxConnections must be positive.")]
    [InlineData("Backlog", "-1", "The listen backlog cannot be negative.")]
    [InlineData("ShutdownTimeout", "-00:00:01", "ShutdownTimeout")]
    [InlineData("MaxSendBufferSize", "0", "MaxSendBufferSize")]
    [InlineData("IdleTimeout", "00:00:00", "IdleTimeout")]
    [InlineData("Address", "not-an-address", "TcpServerOptions Address: 'not-an-address' is not an IP address")]
    [InlineData("Port", "70000", "TcpServerOptions Port: 70000 is not a port")]
    public async Task AddTcpServer_InvalidConfiguredValue_FailsAtStartNamingTheSetting(string key, string value, string message)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new System.Collections.Generic.Dictionary<string, string?> { ["Tcp:" + key] = value });
        builder.Services.AddEventRouter();
        builder.Services.AddTcpServer(builder.Configuration.GetSection("Tcp"));
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => host.StartAsync().WaitAsync(HangGuard));
        Assert.Equal(typeof(TcpServerOptions), failure.OptionsType);
        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddTcpServer_InvalidValueInCode_FailsAtStartWithItsMessage()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddEventRouter();
        builder.Services.AddTcpServer(o => o.MaxConnections = 0);
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => host.StartAsync().WaitAsync(HangGuard));
        Assert.Contains("MaxConnections must be positive.", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Actual value was 0.", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EventLoopInvokeAsync_TokenCancelledWhileQueued_SkipsTheWorkAndCancelsTheTask()
    {
        await using var loop = new EventLoop();
        using var gate = new ManualResetEventSlim();
        var blocker = loop.InvokeAsync(() => gate.Wait(HangGuard));
        using var cancel = new CancellationTokenSource();
        var ran = 0;
        var action = loop.InvokeAsync(() => { Interlocked.Increment(ref ran); }, cancel.Token);
        var func = loop.InvokeAsync(() => Interlocked.Increment(ref ran), cancel.Token);
        var asyncFunc = loop.InvokeAsync(() => { Interlocked.Increment(ref ran); return Task.CompletedTask; }, cancel.Token);

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => action.WaitAsync(HangGuard));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => func.WaitAsync(HangGuard));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => asyncFunc.WaitAsync(HangGuard));
        gate.Set();
        await blocker.WaitAsync(HangGuard);
        await loop.InvokeAsync(() => { }).WaitAsync(HangGuard); // everything queued before it has been reached

        Assert.Equal(0, ran);
        Assert.Equal(42, await loop.InvokeAsync(() => 42, CancellationToken.None).WaitAsync(HangGuard));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop.InvokeAsync(() => 1, cancel.Token));
    }

    [Fact]
    public async Task EventDispatchLoopStopAsync_TokenCancelled_EndsTheDrainAndReturnsUndelivered()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatcher = new TestDispatcher().Route(TestListener<Keyed>.Of<ListenerA>(async (_, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        }));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { MaxParallelism = 1 });
        loop.Start();
        await loop.EnqueueAsync(new Keyed("k", 1));
        await loop.EnqueueAsync(new Keyed("k", 2));
        await started.Task.WaitAsync(HangGuard);
        using var cancel = new CancellationTokenSource();

        var stopping = loop.StopAsync(Timeout.InfiniteTimeSpan, cancel.Token);
        Assert.False(stopping.IsCompleted);
        cancel.Cancel();
        var undelivered = await stopping.WaitAsync(HangGuard);

        Assert.Equal(new[] { 1, 2 }, undelivered.Select(u => ((Keyed)u.Event).Seq));
    }

    [Fact]
    public async Task ModuleServerShutdownAsync_GracefulThenTokenCancelled_EscalatesToImmediate()
    {
        var module = new TestModule();
        await using var server = new ModuleServer<TestModule>(module, new ModuleServerOptions { RunInlineWhenIdle = false });
        await server.StartAsync(CancellationToken.None);
        var client = new TestModuleClient(server);
        var running = client.RequestAsync(new WaitForStop()).AsTask();
        await module.Entered.Task.WaitAsync(HangGuard);
        using var cancel = new CancellationTokenSource();

        var stopping = server.ShutdownAsync(ModuleShutdownMode.Graceful, cancel.Token);
        Assert.False(stopping.IsCompleted); // graceful: the running handler ends only on the stop token
        cancel.Cancel();
        await stopping.WaitAsync(HangGuard);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(HangGuard));
        Assert.True(module.StopTokenObserved);
    }

    [Fact]
    public async Task TcpSendAsync_TokenCancelledBefore_SendsNothing()
    {
        var sent = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new SendOnOpen(sent);
        await using var group = new EventLoopGroup(1);
        await using var server = new TcpServer(group, new TcpServerOptions { Handler = handler });
        server.Start();
        using var socket = await Net.ConnectAsync(server.LocalEndPoint);

        Assert.True(await sent.Task.WaitAsync(HangGuard));
        Assert.Equal(new byte[] { 7 }, await Net.ReceiveExactlyAsync(socket, 1)); // the cancelled frame (6) never went out
    }

    [Fact]
    public async Task TcpServerStopAsync_TokenCancelled_AbortsConnectionsAHandlerHoldsOpen()
    {
        var handler = new HoldingHandler();
        await using var group = new EventLoopGroup(1);
        var server = new TcpServer(group, new TcpServerOptions { Handler = handler, ShutdownTimeout = Timeout.InfiniteTimeSpan });
        server.Start();
        using var socket = await Net.ConnectAsync(server.LocalEndPoint);
        await Net.SendAllAsync(socket, new byte[] { 1 });
        await handler.InFrame.Task.WaitAsync(HangGuard);
        using var cancel = new CancellationTokenSource();

        var stopping = server.StopAsync(cancel.Token);
        Assert.False(stopping.IsCompleted); // graceful: waits for the handler, with no shutdown timeout
        cancel.Cancel();
        await stopping.WaitAsync(HangGuard);

        Assert.Equal(0, await Net.ReadUntilClosedAsync(socket)); // aborted, though its handler still runs
        handler.Release.TrySetResult();
    }

    private sealed class SendOnOpen(TaskCompletionSource<bool> sent) : EchoHandler
    {
        public override async ValueTask OnOpenedAsync(TcpConnection connection)
        {
            await base.OnOpenedAsync(connection);
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            var first = connection.SendAsync(new byte[] { 6 }, cancelled.Token);
            var wasCancelled = first.IsCanceled;
            await connection.SendAsync(new byte[] { 7 }, CancellationToken.None);
            sent.TrySetResult(wasCancelled);
        }
    }

    private sealed class HoldingHandler : EchoHandler
    {
        public TaskCompletionSource InFrame { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask OnFrameAsync(TcpConnection connection, System.Buffers.ReadOnlySequence<byte> frame)
        {
            InFrame.TrySetResult();
            await Release.Task;
        }
    }
}
