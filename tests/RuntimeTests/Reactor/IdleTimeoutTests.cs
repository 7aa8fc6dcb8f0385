using System;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Reactor;

namespace EventRouter.Tests.Reactor;

/// <summary>Idle timeouts measured on a fake clock: deterministic, no waiting for real time to pass.</summary>
public sealed class IdleTimeoutTests : IAsyncDisposable
{
    private readonly ManualTimeProvider _clock = new();
    private readonly EventLoopGroup _group;
    private readonly EchoHandler _handler = new();
    private readonly TcpServer _server;

    public IdleTimeoutTests()
    {
        _group = new EventLoopGroup(1, new EventLoopOptions { TimeProvider = _clock });
        _server = new TcpServer(_group, new TcpServerOptions { Handler = _handler, IdleTimeout = TimeSpan.FromSeconds(10) });
        _server.Start();
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync();
        await _group.DisposeAsync();
    }

    /// <summary>Advances the clock and waits until every timer due by then has run (timers fire in due order).</summary>
    private async Task AdvanceAsync(TimeSpan by)
    {
        _clock.Advance(by);
        var barrier = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _group.Loops[0].Schedule(TimeSpan.Zero, static s => ((TaskCompletionSource)s!).SetResult(), barrier);
        await barrier.Task.WaitAsync(Net.Timeout);
    }

    [Fact]
    public async Task IdleTimeout_TrafficBeforeDeadline_PostponesCloseUntilIdleFromLastReceive()
    {
        using var client = await Net.ConnectAsync(_server.LocalEndPoint);
        await Eventually.WaitUntilAsync(() => _handler.Opened.Count == 1);
        var connection = _handler.Opened.ToArray()[0];

        await AdvanceAsync(TimeSpan.FromSeconds(6));
        await Net.SendAllAsync(client, new byte[] { 1 });
        await Net.ReceiveExactlyAsync(client, 1); // received (and its time recorded) at t=6

        await AdvanceAsync(TimeSpan.FromSeconds(6)); // t=12: first check at t=10 finds 4 s idle and re-arms for t=16
        Assert.True(connection.IsConnected);

        await AdvanceAsync(TimeSpan.FromSeconds(3)); // t=15
        Assert.True(connection.IsConnected);

        await AdvanceAsync(TimeSpan.FromSeconds(1)); // t=16: 10 s since the last receive
        var closed = await _handler.FirstClose.Task.WaitAsync(Net.Timeout);
        Assert.Equal(CloseReason.IdleTimeout, closed.Reason);
    }

    [Fact]
    public async Task Receive_NoIdleTimeout_ReadsNoClockPerReceive()
    {
        var clock = new CountingTimeProvider();
        await using var group = new EventLoopGroup(1, new EventLoopOptions { TimeProvider = clock, BlockedThreshold = Timeout.InfiniteTimeSpan });
        var server = new TcpServer(group, new TcpServerOptions { Handler = new EchoHandler() });
        server.Start();
        using var client = await Net.ConnectAsync(server.LocalEndPoint);
        await Net.SendAllAsync(client, new byte[] { 1 });
        await Net.ReceiveExactlyAsync(client, 1);

        var before = clock.Reads;
        for (var i = 0; i < 50; i++)
        {
            await Net.SendAllAsync(client, new byte[] { 2 });
            await Net.ReceiveExactlyAsync(client, 1);
        }
        var reads = clock.Reads - before;
        await server.StopAsync();

        Assert.Equal(0, reads);
    }

    /// <summary>The system clock, counting how often it is read.</summary>
    private sealed class CountingTimeProvider : TimeProvider
    {
        private long _reads;

        public long Reads => Interlocked.Read(ref _reads);

        public override long GetTimestamp()
        {
            Interlocked.Increment(ref _reads);
            return base.GetTimestamp();
        }
    }
}
