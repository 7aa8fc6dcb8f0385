using System;
using System.Buffers;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Generated;
using EventRouter.Reactor;

namespace EventRouter.Tests.Reactor;

/// <summary>A listener the generator wires in: reactor events arrive through the generated dispatch table.</summary>
[EventListener]
public sealed class ReactorEventsListener : IEventListener<FrameReceived>, IEventListener<ConnectionClosed>, IEventListener<TimerFired>
{
    // Touched only on loop threads (one connection, one loop), so a plain list is safe.
    public List<string> Seen { get; } = new();

    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource ThreeTicks { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask HandleAsync(FrameReceived @event, CancellationToken cancellationToken)
    {
        var text = Encoding.ASCII.GetString(@event.Frame.ToArray());
        Seen.Add("frame:" + text);
        // Reply through the connection from inside a listener: the frame is valid during the call.
        return @event.Connection.SendAsync(@event.Frame);
    }

    public ValueTask HandleAsync(ConnectionClosed @event, CancellationToken cancellationToken)
    {
        Seen.Add("closed:" + @event.Reason);
        Closed.TrySetResult();
        return default;
    }

    public ValueTask HandleAsync(TimerFired @event, CancellationToken cancellationToken)
    {
        Seen.Add("timer:" + @event.Name + ":" + @event.FireCount);
        if (@event.FireCount == 3)
        {
            @event.Timer.Cancel();
            ThreeTicks.TrySetResult();
        }
        return default;
    }
}

public sealed class GeneratedDispatchTests
{
    [Fact]
    public async Task TcpServer_WithGeneratedDispatcher_FramesAndCloseReachListener()
    {
        var listener = new ReactorEventsListener();
        var dispatcher = new EventDispatcher(new EventRouterOptions
        {
            ListenerFactory = t => t == typeof(ReactorEventsListener) ? listener : Activator.CreateInstance(t)!,
            NoListenerPolicy = NoListenerPolicy.Ignore,
        });
        await using var group = new EventLoopGroup(1);
        var server = new TcpServer(group, new TcpServerOptions { Codec = FrameCodec.LineDelimited(), Publisher = dispatcher });
        server.Start();
        using var client = await Net.ConnectAsync(server.LocalEndPoint);

        await Net.SendAllAsync(client, Encoding.ASCII.GetBytes("ping\npong\n"));
        Assert.Equal("ping\npong\n", Encoding.ASCII.GetString(await Net.ReceiveExactlyAsync(client, 10)));
        client.Shutdown(SocketShutdown.Send);
        await listener.Closed.Task.WaitAsync(Net.Timeout);
        await server.StopAsync();

        Assert.Equal(new[] { "frame:ping", "frame:pong", "closed:RemoteClosed" }, listener.Seen);
    }

    [Fact]
    public async Task ScheduleEvent_WithGeneratedDispatcher_TimerFiredReachesListener()
    {
        var listener = new ReactorEventsListener();
        var dispatcher = new EventDispatcher(new EventRouterOptions
        {
            ListenerFactory = t => t == typeof(ReactorEventsListener) ? listener : Activator.CreateInstance(t)!,
        });
        var clock = new ManualTimeProvider();
        await using var loop = new EventLoop(new EventLoopOptions { Publisher = dispatcher, TimeProvider = clock });

        loop.ScheduleEvent("heartbeat", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(5));
        loop.Post(() => { }); // wake the loop: the fake clock moved without it
        await listener.ThreeTicks.Task.WaitAsync(Net.Timeout);
        var seen = await loop.InvokeAsync(() => listener.Seen.ToArray());

        Assert.Equal(new[] { "timer:heartbeat:1", "timer:heartbeat:2", "timer:heartbeat:3" }, seen);
    }
}
