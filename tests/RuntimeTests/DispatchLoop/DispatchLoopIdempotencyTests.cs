using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;

namespace EventRouter.Tests.DispatchLoop;

/// <summary>Events with an id are de-duplicated per listener.</summary>
[Collection(DispatchLoopCollection.Name)]
public sealed class DispatchLoopIdempotencyTests
{
    [Fact]
    public async Task EnqueueAsync_SameEventTwice_ListenerRunsOnce()
    {
        var calls = 0;
        var dispatcher = new TestDispatcher().Route(TestListener<Identified>.Of<ListenerA>(_ => Interlocked.Increment(ref calls)));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { MaxParallelism = 4 });
        loop.Start();

        var original = new Identified("evt-1", 1);
        await loop.EnqueueAsync(original);
        await loop.EnqueueAsync(original);
        await loop.EnqueueAsync(new Identified("evt-1", 1)); // a redelivered copy, another instance with the same id
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal(1, calls);
        Assert.Equal(2, loop.Counts.Deduplicated);
        Assert.Equal(3, loop.Counts.Handled);
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task EnqueueAsync_RedeliveryAfterDeadLetter_RunsOnlyTheListenerThatDidNotComplete()
    {
        int a = 0, b = 0;
        var sink = new ListDeadLetterSink();
        var dispatcher = new TestDispatcher().Route(
            TestListener<Identified>.Of<ListenerA>(_ => Interlocked.Increment(ref a)),
            TestListener<Identified>.Of<ListenerB>(_ =>
            {
                if (Interlocked.Increment(ref b) == 1)
                {
                    throw new InvalidOperationException("down on first delivery");
                }
            }));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { RetryPolicy = RetryPolicy.None, DeadLetterSink = sink });
        loop.Start();

        await loop.EnqueueAsync(new Identified("evt-7", 7));
        await Eventually.WaitUntilAsync(() => !sink.Letters.IsEmpty, "dead letter");
        await loop.EnqueueAsync(Assert.Single(sink.Letters).Event); // replay the dead letter
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal((1, 2), (a, b));
        Assert.Equal(1, loop.Counts.DeadLettered);
        Assert.Equal(1, loop.Counts.Handled);
        Assert.Equal(1, loop.Counts.Deduplicated);
    }

    [Fact]
    public async Task Deliver_IdFromGeneratedOverrideAndCustomStore_StoreDecidesWhatRuns()
    {
        int a = 0, b = 0;
        var store = new InMemoryIdempotencyStore();
        await store.MarkCompletedAsync("order-9", typeof(ListenerA).FullName!, CancellationToken.None);
        var dispatcher = new TestDispatcher().Route<Attributed>(e => e.Id, null,
            TestListener<Attributed>.Of<ListenerA>(_ => Interlocked.Increment(ref a)),
            TestListener<Attributed>.Of<ListenerB>(_ => Interlocked.Increment(ref b)));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { IdempotencyStore = store });
        loop.Start();

        await loop.EnqueueAsync(new Attributed("order-9", "k"));
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal((0, 1), (a, b));
        Assert.True(await store.IsCompletedAsync("order-9", typeof(ListenerB).FullName!, CancellationToken.None));
    }

    [Fact]
    public async Task Deliver_IdempotencyStoreThrowsOnCheck_AttemptFailsAndIsRetried()
    {
        var calls = 0;
        var store = new FlakyStore();
        var dispatcher = new TestDispatcher().Route(TestListener<Identified>.Of<ListenerA>(_ => Interlocked.Increment(ref calls)));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions
        {
            IdempotencyStore = store, RetryPolicy = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.Zero },
        });
        loop.Start();

        await loop.EnqueueAsync(new Identified("evt-3", 3));
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal(1, calls);
        Assert.Equal(1, loop.Counts.Retries);
        Assert.Equal(1, loop.Counts.Handled);
    }

    [Fact]
    public async Task IsCompletedAsync_StoreOverCapacity_ForgetsLeastRecentlyUsed()
    {
        var store = new InMemoryIdempotencyStore(capacity: 2);
        await store.MarkCompletedAsync("a", "L", CancellationToken.None);
        await store.MarkCompletedAsync("b", "L", CancellationToken.None);
        Assert.True(await store.IsCompletedAsync("a", "L", CancellationToken.None)); // "a" is now the most recent

        await store.MarkCompletedAsync("c", "L", CancellationToken.None);

        Assert.Equal(2, store.Count);
        Assert.True(await store.IsCompletedAsync("a", "L", CancellationToken.None));
        Assert.False(await store.IsCompletedAsync("b", "L", CancellationToken.None));
        Assert.True(await store.IsCompletedAsync("c", "L", CancellationToken.None));
        Assert.False(await store.IsCompletedAsync("a", "other listener", CancellationToken.None));
    }

    private sealed class FlakyStore : IIdempotencyStore
    {
        private int _checks;
        private readonly ConcurrentDictionary<(string, string), bool> _done = new();

        public ValueTask<bool> IsCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _checks) == 1
                ? ValueTask.FromException<bool>(new TimeoutException("database unavailable"))
                : new ValueTask<bool>(_done.ContainsKey((eventId, listenerName)));

        public ValueTask MarkCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken)
        {
            _done[(eventId, listenerName)] = true;
            return default;
        }
    }
}
