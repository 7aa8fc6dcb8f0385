using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;

namespace EventRouter.Tests.DispatchLoop;

/// <summary>
/// The lane queue of the Wait and Reject modes (its own bound over a lock-free queue): producers waiting for room are
/// served in arrival order and keep their place against later writes, a cancelled waiter leaves the others be, and
/// the accepted count never falls behind the outcomes while events move.
/// </summary>
[Collection(DispatchLoopCollection.Name)]
public sealed class DispatchLoopLaneTests
{
    private readonly ConcurrentQueue<int> _handled = new();

    private static DispatchLoopOptions SingleLane(int capacity) => new() { Capacity = capacity, MaxParallelism = 1 };

    [Fact]
    public async Task EnqueueAsync_SeveralProducersWaitingForRoom_AreServedInArrivalOrder()
    {
        var loop = new EventDispatchLoop(new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>(p => _handled.Enqueue(p.N))), SingleLane(1));
        await loop.EnqueueAsync(new Ping(1));
        var waiting = new[] { 2, 3, 4 }.Select(n => loop.EnqueueAsync(new Ping(n)).AsTask()).ToArray();
        Assert.All(waiting, w => Assert.False(w.IsCompleted));
        Assert.Equal(4, loop.Counts.Accepted);

        loop.Start();
        await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(10));
        var undelivered = await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Empty(undelivered);
        Assert.Equal(new[] { 1, 2, 3, 4 }, _handled.ToArray());
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task TryEnqueue_AfterAWaitingProducer_DoesNotTakeItsSlot()
    {
        using var gate = new ManualResetEventSlim();
        var dispatcher = new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>(p =>
        {
            if (p.N == 1)
            {
                gate.Wait(TimeSpan.FromSeconds(10));
            }
            _handled.Enqueue(p.N);
        }));
        var loop = new EventDispatchLoop(dispatcher, SingleLane(2));
        Assert.True(loop.TryEnqueue(new Ping(1)));
        Assert.True(loop.TryEnqueue(new Ping(2)));
        var waiting = loop.EnqueueAsync(new Ping(3)).AsTask();

        // The worker takes event 1 and blocks in its listener; the slot it freed went to the waiting producer.
        loop.Start();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        var late = loop.TryEnqueue(new Ping(4));
        gate.Set();
        var undelivered = await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.False(late);
        Assert.Empty(undelivered);
        Assert.Equal(new[] { 1, 2, 3 }, _handled.ToArray());
        Assert.Equal(3, loop.Counts.Accepted);
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task EnqueueAsync_WaiterCancelledBetweenOthers_OthersServedInOrderAndItIsNotAccepted()
    {
        var loop = new EventDispatchLoop(new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>(p => _handled.Enqueue(p.N))), SingleLane(1));
        await loop.EnqueueAsync(new Ping(1));
        using var cts = new CancellationTokenSource();
        var second = loop.EnqueueAsync(new Ping(2)).AsTask();
        var cancelled = loop.EnqueueAsync(new Ping(3), cts.Token).AsTask();
        var fourth = loop.EnqueueAsync(new Ping(4)).AsTask();

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(3, loop.Counts.Accepted);
        loop.Start();
        await Task.WhenAll(second, fourth).WaitAsync(TimeSpan.FromSeconds(10));
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal(new[] { 1, 2, 4 }, _handled.ToArray());
        Assert.Equal(3, loop.Counts.Handled);
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task EnqueueAsync_ManyProducersOnAQueueOfOne_EveryEventOnceInEachProducersOrder()
    {
        const int producers = 4;
        const int perProducer = 2000;
        var seen = new ConcurrentQueue<(int Producer, int Seq)>();
        var dispatcher = new TestDispatcher().Route(TestListener<Keyed>.Of<ListenerA>(e => seen.Enqueue((e.PartitionKey[0] - 'a', e.Seq))));
        var loop = new EventDispatchLoop(dispatcher, SingleLane(1));
        loop.Start();

        // While events move between waiting producers, the queue and the worker, a snapshot may count one twice but
        // must never show more outcomes than accepted events.
        var sampling = true;
        var negative = 0L;
        var sampler = Task.Run(() =>
        {
            while (Volatile.Read(ref sampling))
            {
                if (loop.Counts.InFlight < 0)
                {
                    Interlocked.Increment(ref negative);
                }
            }
        });
        var tasks = Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            var key = ((char)('a' + p)).ToString();
            for (var i = 0; i < perProducer; i++)
            {
                await loop.EnqueueAsync(new Keyed(key, i));
            }
        })).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
        var undelivered = await loop.StopAsync(Timeout.InfiniteTimeSpan);
        Volatile.Write(ref sampling, false);
        await sampler;

        Assert.Empty(undelivered);
        Assert.Equal(0, Interlocked.Read(ref negative));
        Assert.Equal(producers * perProducer, loop.Counts.Handled);
        LoopAssert.Balanced(loop.Counts);
        foreach (var group in seen.GroupBy(s => s.Producer))
        {
            Assert.Equal(Enumerable.Range(0, perProducer), group.Select(s => s.Seq));
        }
    }

    [Fact]
    public async Task EnqueueAsync_RejectModeWhenFull_ThrowsWithoutCountingAndAcceptsOnceThereIsRoom()
    {
        var loop = new EventDispatchLoop(
            new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>(p => _handled.Enqueue(p.N))),
            new DispatchLoopOptions { Capacity = 1, MaxParallelism = 1, FullMode = QueueFullMode.Reject });
        await loop.EnqueueAsync(new Ping(1));

        await Assert.ThrowsAsync<DispatchLoopFullException>(() => loop.EnqueueAsync(new Ping(2)).AsTask());
        Assert.Equal(1, loop.Counts.Accepted);
        loop.Start();
        await Eventually.WaitUntilAsync(() => loop.Counts.Handled == 1, "event 1 handled");
        await loop.EnqueueAsync(new Ping(3));
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal(new[] { 1, 3 }, _handled.ToArray());
        LoopAssert.Balanced(loop.Counts);
    }
}
