using System;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;
using EventRouter.Testing;

namespace EventRouter.Tests.Modules;

/// <summary>The pooled request operation on its own, where reuse is deterministic (same thread, synchronous handler).</summary>
public sealed class ModuleOperationTests
{
    private readonly TestModule _module = new();
    private readonly ModuleServer<TestModule> _server;

    public ModuleOperationTests() => _server = new ModuleServer<TestModule>(_module, new ModuleServerOptions { Name = "ops" });

    private RequestOperation<Echo, EchoReply> RentAndRun(int id)
    {
        var op = RequestOperation<Echo, EchoReply>.Rent(_server, _module, new Echo(id), chain: null);
        Assert.True(op.TryStart());
        Assert.True(op.ExecuteAsync(CancellationToken.None).IsCompletedSuccessfully);
        return op;
    }

    private static T Read<T>(ValueTask<T> task) => task.GetAwaiter().GetResult();

    [Fact]
    public void GetResult_StaleTokenAfterReuse_ThrowsAndNeverReturnsTheNewResult()
    {
        var first = RentAndRun(1);
        var firstTask = new ValueTask<EchoReply>(first, first.Version);
        Assert.Equal(new EchoReply(1), Read(firstTask));

        var second = RentAndRun(2);
        var secondTask = new ValueTask<EchoReply>(second, second.Version);

        Assert.Same(first, second);
        Assert.Throws<InvalidOperationException>(() => Read(firstTask));
        Assert.Throws<InvalidOperationException>(() => firstTask.IsCompleted);
        Assert.Equal(new EchoReply(2), Read(secondTask));
        Assert.Throws<InvalidOperationException>(() => Read(secondTask));
    }

    [Fact]
    public void GetResult_ServerStillHoldsOperation_SecondReadThrowsInsteadOfReleasingTwice()
    {
        var op = RequestOperation<Echo, EchoReply>.Rent(_server, _module, new Echo(3), chain: null);
        var task = new ValueTask<EchoReply>(op, op.Version);
        op.FailUnqueued(new ModuleQueueFullException("ops", 1));

        Assert.Throws<ModuleQueueFullException>(() => Read(task));
        Assert.Throws<InvalidOperationException>(() => Read(task));
    }

    [Fact]
    public void Arm_ReusedOperationWithEarlierTimerTick_TimesOutOnItsOwnDeadline()
    {
        var time = new ManualTimeProvider();
        var timeout = TimeSpan.FromSeconds(5);
        var first = RequestOperation<Echo, EchoReply>.Rent(_server, _module, new Echo(1), chain: null);
        first.Arm(CancellationToken.None, timeout, time); // timer due at t=5
        Assert.True(first.TryStart());
        Assert.True(first.ExecuteAsync(CancellationToken.None).IsCompletedSuccessfully);
        Assert.Equal(new EchoReply(1), Read(new ValueTask<EchoReply>(first, first.Version)));

        time.Advance(TimeSpan.FromSeconds(3));
        var second = RequestOperation<Echo, EchoReply>.Rent(_server, _module, new Echo(2), chain: null);
        Assert.Same(first, second);
        second.Arm(CancellationToken.None, timeout, time); // deadline t=8; the pending tick at t=5 is reused
        var task = new ValueTask<EchoReply>(second, second.Version);

        time.Advance(TimeSpan.FromSeconds(2.5)); // t=5.5: the earlier tick fires (at its own due time, t=5) and must not time this request out
        Assert.False(task.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2)); // t=7.5
        Assert.False(task.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1)); // t=8.5

        Assert.True(task.IsCompleted);
        var ex = Assert.Throws<ModuleRequestTimeoutException>(() => Read(task));
        Assert.Equal("ops", ex.ModuleName);
        second.Skip();
    }

    [Fact]
    public void Arm_CompletedBeforeDeadline_LaterTickDoesNothing()
    {
        var time = new ManualTimeProvider();
        var op = RequestOperation<Echo, EchoReply>.Rent(_server, _module, new Echo(4), chain: null);
        op.Arm(CancellationToken.None, TimeSpan.FromSeconds(1), time);
        Assert.True(op.TryStart());
        Assert.True(op.ExecuteAsync(CancellationToken.None).IsCompletedSuccessfully);

        Assert.Equal(new EchoReply(4), Read(new ValueTask<EchoReply>(op, op.Version)));

        // Reuse the pooled operation without a deadline of its own; the old t=1 tick must not time it out.
        var next = RequestOperation<Echo, EchoReply>.Rent(_server, _module, new Echo(5), chain: null);
        Assert.Same(op, next);
        next.Arm(CancellationToken.None, Timeout.InfiniteTimeSpan, time);
        var task = new ValueTask<EchoReply>(next, next.Version);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(task.IsCompleted);
        Assert.True(next.TryStart());
        Assert.True(next.ExecuteAsync(CancellationToken.None).IsCompletedSuccessfully);
        Assert.Equal(new EchoReply(5), Read(task));
    }
}
