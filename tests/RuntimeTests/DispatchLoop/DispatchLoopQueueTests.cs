using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using Microsoft.Extensions.Logging;

namespace EventRouter.Tests.DispatchLoop;

/// <summary>The bounded queue, backpressure, reject and drop modes; null events; enqueue after stop.</summary>
[Collection(DispatchLoopCollection.Name)]
public sealed class DispatchLoopQueueTests
{
    private readonly ConcurrentQueue<int> _handled = new();

    private TestDispatcher Dispatcher(EventRouterOptions? options = null) =>
        new TestDispatcher(options: options).Route(TestListener<Ping>.Of<ListenerA>(p => _handled.Enqueue(p.N)));

    private static DispatchLoopOptions SingleLane(int capacity, QueueFullMode mode = QueueFullMode.Wait) =>
        new() { Capacity = capacity, MaxParallelism = 1, FullMode = mode };

    [Fact]
    public async Task EnqueueAsync_QueueHasRoom_CompletesSynchronously()
    {
        await using var loop = new EventDispatchLoop(Dispatcher(), SingleLane(2));

        var write = loop.EnqueueAsync(new Ping(1));

        Assert.True(write.IsCompletedSuccessfully);
        Assert.Equal(1, loop.QueuedCount);
    }

    [Fact]
    public async Task EnqueueAsync_QueueFull_WaitsForRoomThenDelivers()
    {
        var loop = new EventDispatchLoop(Dispatcher(), SingleLane(1));
        await loop.EnqueueAsync(new Ping(1));

        var waiting = loop.EnqueueAsync(new Ping(2)).AsTask();
        Assert.False(waiting.IsCompleted);

        loop.Start();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        var undelivered = await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Empty(undelivered);
        Assert.Equal(new[] { 1, 2 }, _handled.ToArray());
        Assert.Equal(2, loop.Counts.Handled);
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task TryEnqueue_QueueFull_ReturnsFalseAndDoesNotAccept()
    {
        await using var loop = new EventDispatchLoop(Dispatcher(), SingleLane(1));

        Assert.True(loop.TryEnqueue(new Ping(1)));
        Assert.False(loop.TryEnqueue(new Ping(2)));
        Assert.Equal(1, loop.Counts.Accepted);
    }

    [Fact]
    public async Task EnqueueAsync_RejectModeQueueFull_ThrowsDispatchLoopFullException()
    {
        await using var loop = new EventDispatchLoop(Dispatcher(), SingleLane(1, QueueFullMode.Reject));
        await loop.EnqueueAsync(new Ping(1));

        var ex = await Assert.ThrowsAsync<DispatchLoopFullException>(() => loop.EnqueueAsync(new Ping(2)).AsTask());

        Assert.Equal(nameof(Ping), ex.EventName);
        Assert.Equal(1, ex.Capacity);
        Assert.Contains("full", ex.Message, StringComparison.Ordinal);
        Assert.False(loop.TryEnqueue(new Ping(3)));
        Assert.Equal(1, loop.Counts.Accepted);
    }

    [Theory]
    [InlineData(QueueFullMode.DropOldest, 1, new[] { 2, 3 })]
    [InlineData(QueueFullMode.DropNewest, 2, new[] { 1, 3 })]
    [InlineData(QueueFullMode.DropWrite, 3, new[] { 1, 2 })]
    public async Task TryEnqueue_DropModeQueueFull_DropsOneAndReportsIt(QueueFullMode mode, int expectedDropped, int[] expectedHandled)
    {
        var logs = new LogCapture();
        var dropped = new ConcurrentQueue<object>();
        var options = SingleLane(2, mode);
        options.OnDropped = dropped.Enqueue;
        var loop = new EventDispatchLoop(Dispatcher(new EventRouterOptions { LoggerFactory = logs }), options);

        Assert.True(loop.TryEnqueue(new Ping(1)));
        Assert.True(loop.TryEnqueue(new Ping(2)));
        Assert.True(loop.TryEnqueue(new Ping(3)));
        loop.Start();
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal(new Ping(expectedDropped), Assert.Single(dropped));
        Assert.Equal(expectedHandled, _handled.ToArray());
        Assert.Contains(logs.Entries, e => e.Id.Id == 2000 && e.Level == LogLevel.Warning && e.Message.Contains(nameof(Ping), StringComparison.Ordinal));
        Assert.Equal(1, loop.Counts.Dropped);
        Assert.Equal(3, loop.Counts.Accepted);
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task TryEnqueue_DropModeWithRoomInAnotherLane_DropsNothing()
    {
        var dropped = 0;
        var options = new DispatchLoopOptions { Capacity = 4, MaxParallelism = 2, FullMode = QueueFullMode.DropOldest, OnDropped = _ => dropped++ };
        await using var loop = new EventDispatchLoop(Dispatcher(), options);

        for (var i = 0; i < 4; i++)
        {
            Assert.True(loop.TryEnqueue(new Ping(i)));
        }

        Assert.Equal(0, dropped);
        Assert.Equal(4, loop.QueuedCount);
    }

    [Fact]
    public async Task EnqueueAsync_NullEvent_ThrowsArgumentNullException()
    {
        await using var loop = new EventDispatchLoop(Dispatcher(), SingleLane(4));

        var async = Assert.Throws<ArgumentNullException>(() => { _ = loop.EnqueueAsync(null!); });
        var sync = Assert.Throws<ArgumentNullException>(() => loop.TryEnqueue(null!));

        Assert.Equal("event", async.ParamName);
        Assert.Equal("event", sync.ParamName);
        Assert.Equal(0, loop.Counts.Accepted);
    }

    [Fact]
    public async Task EnqueueAsync_CancelledWhileWaitingForRoom_ThrowsAndIsNotAccepted()
    {
        await using var loop = new EventDispatchLoop(Dispatcher(), SingleLane(1));
        await loop.EnqueueAsync(new Ping(1));
        using var cts = new CancellationTokenSource();

        var waiting = loop.EnqueueAsync(new Ping(2), cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, loop.Counts.Accepted);
    }

    [Fact]
    public async Task EnqueueAsync_AfterStop_ThrowsDispatchLoopStoppedException()
    {
        var loop = new EventDispatchLoop(Dispatcher(), SingleLane(4));
        loop.Start();
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        var async = Assert.Throws<DispatchLoopStoppedException>(() => { _ = loop.EnqueueAsync(new Ping(1)); });
        Assert.Throws<DispatchLoopStoppedException>(() => loop.TryEnqueue(new Ping(2)));
        Assert.Throws<DispatchLoopStoppedException>(loop.Start);

        Assert.Contains("no longer accepts events", async.Message, StringComparison.Ordinal);
        Assert.Equal(0, loop.Counts.Accepted);
    }

    [Fact]
    public async Task EnqueueAsync_WaitingForRoomWhenStopped_ThrowsDispatchLoopStoppedException()
    {
        var loop = new EventDispatchLoop(Dispatcher(), SingleLane(1));
        await loop.EnqueueAsync(new Ping(1));
        var waiting = loop.EnqueueAsync(new Ping(2)).AsTask();

        var undelivered = await loop.StopAsync(TimeSpan.Zero);

        await Assert.ThrowsAsync<DispatchLoopStoppedException>(() => waiting);
        Assert.Equal(new Ping(1), Assert.Single(undelivered).Event);
        Assert.Equal(1, loop.Counts.Accepted);
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task EnqueueAsync_NoListenerAndThrowPolicy_ThrowsNoListenerException()
    {
        await using var loop = new EventDispatchLoop(
            Dispatcher(new EventRouterOptions { NoListenerPolicy = NoListenerPolicy.Throw }), SingleLane(4));

        await Assert.ThrowsAsync<NoListenerException>(() => loop.EnqueueAsync(new Unrouted(1)).AsTask());
        Assert.Equal(0, loop.Counts.Accepted);
    }

    [Fact]
    public async Task EnqueueAsync_NoListenerAndLogPolicy_LogsAndAcceptsNothing()
    {
        var logs = new LogCapture();
        await using var loop = new EventDispatchLoop(Dispatcher(new EventRouterOptions { LoggerFactory = logs }), SingleLane(4));

        await loop.EnqueueAsync(new Unrouted(1));

        Assert.Contains(logs.Entries, e => e.Id.Id == 1001);
        Assert.Equal(0, loop.Counts.Accepted);
        Assert.Equal(0, loop.QueuedCount);
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsArgumentOutOfRange()
    {
        var dispatcher = Dispatcher();
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventDispatchLoop(dispatcher, new DispatchLoopOptions { Capacity = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventDispatchLoop(dispatcher, new DispatchLoopOptions { MaxParallelism = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventDispatchLoop(dispatcher, new DispatchLoopOptions { RetryPolicy = new RetryPolicy { MaxAttempts = 0 } }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventDispatchLoop(dispatcher, new DispatchLoopOptions { DeliveryTimeout = TimeSpan.FromSeconds(-2) }));
    }
}
