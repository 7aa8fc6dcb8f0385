using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;

namespace EventRouter.Tests.DispatchLoop;

/// <summary>Parallel workers, strict order per partition key.</summary>
[Collection(DispatchLoopCollection.Name)]
public sealed class DispatchLoopOrderingTests
{
    [Fact]
    public async Task Deliver_SameKey_HandledStrictlyInOrderWithoutOverlap()
    {
        var seen = new ConcurrentDictionary<string, List<int>>();
        var active = new ConcurrentDictionary<string, int>();
        var overlaps = 0;
        var dispatcher = new TestDispatcher().Route(TestListener<Keyed>.Of<ListenerA>(async (e, ct) =>
        {
            if (active.AddOrUpdate(e.PartitionKey, 1, (_, n) => n + 1) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }
            await Task.Yield(); // go asynchronous so that other lanes really interleave
            seen.GetOrAdd(e.PartitionKey, _ => new List<int>()).Add(e.Seq);
            active.AddOrUpdate(e.PartitionKey, 0, (_, n) => n - 1);
        }));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { MaxParallelism = 4, Capacity = 64 });
        loop.Start();

        for (var seq = 0; seq < 100; seq++)
        {
            for (var k = 0; k < 6; k++)
            {
                await loop.EnqueueAsync(new Keyed("key" + k, seq));
            }
        }
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal(0, overlaps);
        Assert.Equal(6, seen.Count);
        Assert.All(seen.Values, list => Assert.Equal(Enumerable.Range(0, 100), list));
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task Deliver_DifferentKeys_RunInParallel()
    {
        var blocker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new ConcurrentQueue<string>();
        var dispatcher = new TestDispatcher().Route(TestListener<Keyed>.Of<ListenerA>(async (e, ct) =>
        {
            if (e.Seq == 0)
            {
                await blocker.Task;
            }
            handled.Enqueue(e.PartitionKey);
        }));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { MaxParallelism = 2 });
        var keys = Enumerable.Range(0, 50).Select(i => "k" + i).ToArray();
        var slow = keys.First(k => loop.LaneOf(k) == 0);
        var fast = keys.First(k => loop.LaneOf(k) == 1);
        loop.Start();

        await loop.EnqueueAsync(new Keyed(slow, 0));
        await loop.EnqueueAsync(new Keyed(fast, 1));

        // The fast key completes while the slow key's listener is still blocked: the lanes run in parallel.
        await Eventually.WaitUntilAsync(() => handled.Contains(fast), "the other key handled");
        Assert.DoesNotContain(slow, handled);
        blocker.SetResult();
        await loop.StopAsync(Timeout.InfiniteTimeSpan);
        Assert.Equal(new[] { fast, slow }, handled.ToArray());
    }

    [Fact]
    public async Task Deliver_SameKeyWhileEarlierEventRetries_WaitsForEarlierEvent()
    {
        var time = new ManualTimeProvider();
        var handled = new ConcurrentQueue<int>();
        var failedOnce = 0;
        var dispatcher = new TestDispatcher().Route(TestListener<Keyed>.Of<ListenerA>(e =>
        {
            if (e.Seq == 1 && Interlocked.Exchange(ref failedOnce, 1) == 0)
            {
                throw new InvalidOperationException("first attempt fails");
            }
            handled.Enqueue(e.Seq);
        }));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions
        {
            MaxParallelism = 2,
            TimeProvider = time,
            RetryPolicy = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromSeconds(1), Jitter = 0 },
        });
        loop.Start();

        await loop.EnqueueAsync(new Keyed("order-42", 1));
        await loop.EnqueueAsync(new Keyed("order-42", 2));
        await time.WaitForArmedTimersAsync();

        // Event 1 waits for its retry; event 2 of the same key must not overtake it.
        Assert.Empty(handled);
        time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.WaitUntilAsync(() => handled.Count == 2, "both events handled");
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal(new[] { 1, 2 }, handled.ToArray());
        Assert.Equal(1, loop.Counts.Retries);
    }

    [Fact]
    public async Task TryEnqueue_KeyFromGeneratedOverride_PinsEventsToOneLane()
    {
        var dispatcher = new TestDispatcher().Route<Attributed>(e => null, e => e.Key, TestListener<Attributed>.Of<ListenerA>(_ => { }));
        // Eight lanes of one slot each: a second event of a key finds its own lane full even though others are empty.
        await using var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { MaxParallelism = 8, Capacity = 8 });
        var other = Enumerable.Range(0, 100).Select(i => "c" + i).First(k => loop.LaneOf(k) != loop.LaneOf("customer-7"));

        Assert.True(loop.TryEnqueue(new Attributed("id1", "customer-7")));
        Assert.False(loop.TryEnqueue(new Attributed("id2", "customer-7")));
        Assert.True(loop.TryEnqueue(new Attributed("id3", other)));
        Assert.Equal(2, loop.QueuedCount);
    }
}
