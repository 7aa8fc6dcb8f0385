using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using EventRouter.Tests.Faults;
using EventRouter.Threading;

namespace EventRouter.Tests.Threading;

/// <summary>
/// The ring under the dispatch-loop lanes and the module mailbox: its edges (full, empty, wrap-around of slots and of
/// the lap), waiting producers, completion, and many producers with exact counts. Time is bounded by
/// <see cref="Within"/>, never measured.
/// </summary>
public sealed class BoundedQueueTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public void TryWrite_UpToCapacity_ThenFalseUntilARead(int capacity)
    {
        var queue = new BoundedQueue<int>(capacity, singleReader: true);
        for (var i = 0; i < capacity; i++)
        {
            Assert.True(queue.TryWrite(i));
        }
        Assert.False(queue.TryWrite(-1));
        Assert.Equal(capacity, queue.Count);

        Assert.True(queue.TryRead(out var first));
        Assert.Equal(0, first);
        Assert.True(queue.TryWrite(capacity));
        Assert.False(queue.TryWrite(-1));
        Assert.Equal(capacity + 1, queue.Written);
    }

    [Fact]
    public async Task TryRead_Empty_FalseAndWaitToReadPendsUntilAWrite()
    {
        var queue = new BoundedQueue<int>(2, singleReader: true);
        Assert.False(queue.TryRead(out _));
        Assert.Equal(0, queue.Count);

        var wait = queue.WaitToReadAsync();
        Assert.False(wait.IsCompleted);
        Assert.True(queue.TryWrite(7));
        Assert.True(await Within(wait.AsTask()));
        Assert.True(queue.TryRead(out var item));
        Assert.Equal(7, item);
        Assert.False(queue.TryRead(out _));
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(3, 0)]
    [InlineData(5, 0)]
    [InlineData(1, int.MaxValue - 2)] // the 31-bit lap wraps to 0 after a few items
    [InlineData(3, int.MaxValue - 2)]
    public void WriteAndRead_ManyLaps_FifoWithExactCounts(int capacity, int firstLap)
    {
        var seed = FaultFigures.Seed();
        var random = new Random(seed);
        var context = $"seed {seed} (FAULT_SEED={seed} replays it), capacity {capacity}, first lap {firstLap}";
        foreach (var singleReader in new[] { true, false })
        {
            var queue = new BoundedQueue<int>(capacity, singleReader, firstLap);
            int written = 0, read = 0;
            while (read < 10_000)
            {
                // A burst of writes up to full, then a burst of reads down to empty or partway: both edges, every slot.
                var writes = random.Next(capacity + 2);
                for (var i = 0; i < writes; i++)
                {
                    var room = written - read < capacity;
                    Assert.True(queue.TryWrite(written) == room, context);
                    if (room)
                    {
                        written++;
                    }
                    Assert.True(queue.Count == written - read, context);
                }
                var reads = random.Next(capacity + 2);
                for (var i = 0; i < reads; i++)
                {
                    var any = read < written;
                    Assert.True(queue.TryRead(out var item) == any, context);
                    if (any)
                    {
                        Assert.True(item == read, $"{context}: read {item}, expected {read}");
                        read++;
                    }
                    Assert.True(queue.Count == written - read, context);
                }
                if (singleReader)
                {
                    Assert.True(queue.Written == written, context);
                }
            }
        }
    }

    [Fact]
    public async Task WriteAsync_Full_WaitersReleasedInOrderAheadOfTryWrite()
    {
        var queue = new BoundedQueue<int>(2, singleReader: true);
        Assert.True(queue.TryWrite(0));
        Assert.True(queue.TryWrite(1));
        var second = queue.WriteAsync(2, default);
        var third = queue.WriteAsync(3, default);
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);
        Assert.False(queue.TryWrite(-1)); // producers are waiting: no overtaking, even with room after a read

        Assert.True(queue.TryRead(out var item));
        Assert.Equal(0, item);
        await Within(second.AsTask());
        Assert.False(third.IsCompleted);
        Assert.False(queue.TryWrite(-1));

        var order = new List<int>();
        while (order.Count < 3)
        {
            if (queue.TryRead(out item))
            {
                order.Add(item);
            }
            else
            {
                await Within(queue.WaitToReadAsync().AsTask());
            }
        }
        await Within(third.AsTask());
        Assert.Equal(new[] { 1, 2, 3 }, order);
        Assert.True(queue.TryWrite(4)); // nobody waits any more
    }

    [Fact]
    public async Task WriteAsync_CancelledWhileWaiting_ItemNeverQueued()
    {
        var queue = new BoundedQueue<int>(1, singleReader: true);
        Assert.True(queue.TryWrite(0));
        using var cts = new CancellationTokenSource();
        var cancelled = queue.WriteAsync(1, cts.Token);
        var kept = queue.WriteAsync(2, default);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Within(cancelled.AsTask()));

        Assert.True(queue.TryRead(out var item));
        Assert.Equal(0, item);
        await Within(kept.AsTask());
        Assert.True(queue.TryRead(out item));
        Assert.Equal(2, item);
        Assert.False(queue.TryRead(out _));
    }

    [Fact]
    public async Task Complete_FailsWaitersAndWrites_ReaderDrainsThenFalse()
    {
        var queue = new BoundedQueue<int>(1, singleReader: true);
        Assert.True(queue.TryWrite(0));
        var waiting = queue.WriteAsync(1, default);
        Assert.True(queue.Complete());
        Assert.False(queue.Complete());
        Assert.True(queue.IsCompleted);

        await Assert.ThrowsAsync<ChannelClosedException>(() => Within(waiting.AsTask()));
        Assert.False(queue.TryWrite(2));
        await Assert.ThrowsAsync<ChannelClosedException>(() => Within(queue.WriteAsync(3, default).AsTask()));
        Assert.True(await Within(queue.WaitToReadAsync().AsTask()));
        Assert.True(queue.TryRead(out var item));
        Assert.Equal(0, item);
        Assert.False(await Within(queue.WaitToReadAsync().AsTask()));
    }

    [Fact]
    public async Task Complete_WhileReaderParked_WakesItAndTheNextWaitIsFalse()
    {
        var queue = new BoundedQueue<int>(4, singleReader: true);
        var wait = queue.WaitToReadAsync();
        Assert.False(wait.IsCompleted);
        queue.Complete();
        await Within(wait.AsTask()); // a wake-up: the reader looks again, as a reader loop does
        Assert.False(queue.TryRead(out _));
        Assert.False(await Within(queue.WaitToReadAsync().AsTask()));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(64)]
    public async Task ManyProducers_OneReader_EveryItemOnceInProducerOrder(int capacity)
    {
        const int Producers = 4;
        const int PerProducer = 20_000;
        var seed = FaultFigures.Seed();
        var context = $"seed {seed} (FAULT_SEED={seed} replays it), capacity {capacity}";
        var queue = new BoundedQueue<long>(capacity, singleReader: true);

        // Each producer mixes TryWrite (spinning while full) with WriteAsync (waiting in line), chosen by the seed.
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            var random = new Random(seed + p);
            for (var i = 0; i < PerProducer; i++)
            {
                var item = ((long)p << 32) | (uint)i;
                if (random.Next(4) == 0)
                {
                    await queue.WriteAsync(item, default);
                    continue;
                }
                var spin = default(SpinWait);
                while (!queue.TryWrite(item))
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }
            }
        })).ToArray();

        var next = new int[Producers];
        var reader = Task.Run(async () =>
        {
            var total = 0;
            while (total < Producers * PerProducer && await queue.WaitToReadAsync())
            {
                while (queue.TryRead(out var item))
                {
                    var p = (int)(item >> 32);
                    var i = (int)(uint)item;
                    Assert.True(i == next[p], $"{context}: producer {p} item {i}, expected {next[p]}");
                    next[p]++;
                    total++;
                }
            }
            return total;
        });

        await Within(Task.WhenAll(producers), context);
        Assert.Equal(Producers * PerProducer, await Within(reader, context));
        Assert.All(next, n => Assert.Equal(PerProducer, n));
        Assert.Equal(0, queue.Count);
        Assert.Equal(Producers * PerProducer, queue.Written);
        Assert.False(queue.TryRead(out _));
    }

    [Fact]
    public async Task CompleteRacingProducers_ReaderGetsExactlyTheAcceptedItems()
    {
        const int Producers = 4;
        const int Rounds = 200;
        var seed = FaultFigures.Seed();
        var random = new Random(seed);
        for (var round = 0; round < Rounds; round++)
        {
            var context = $"seed {seed} (FAULT_SEED={seed} replays it), round {round}";
            var queue = new BoundedQueue<int>(random.Next(1, 16), singleReader: true);
            var accepted = new int[Producers];
            var start = new Barrier(Producers + 1);
            var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
            {
                start.SignalAndWait();
                while (!queue.IsCompleted)
                {
                    if (queue.TryWrite(p))
                    {
                        accepted[p]++;
                    }
                }
            })).ToArray();
            var read = 0;
            var reader = Task.Run(async () =>
            {
                while (await queue.WaitToReadAsync())
                {
                    while (queue.TryRead(out _))
                    {
                        read++;
                    }
                }
            });
            start.SignalAndWait();
            Thread.SpinWait(random.Next(50_000));
            queue.Complete();
            await Within(Task.WhenAll(producers), context);
            await Within(reader, context);
            Assert.True(read == accepted.Sum(), $"{context}: read {read}, accepted {accepted.Sum()}");
            Assert.True(queue.Written == read, context);
        }
    }

    [Fact]
    public async Task TwoReaders_WithProducers_EveryItemExactlyOnce()
    {
        const int Producers = 2;
        const int PerProducer = 20_000;
        var seed = FaultFigures.Seed();
        var context = $"seed {seed} (FAULT_SEED={seed} replays it)";
        var queue = new BoundedQueue<int>(5, singleReader: false);
        var seen = new int[Producers * PerProducer];

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            var random = new Random(seed + p);
            for (var i = 0; i < PerProducer; i++)
            {
                var item = (p * PerProducer) + i;
                if (random.Next(3) == 0 || !queue.TryWrite(item))
                {
                    await queue.WriteAsync(item, default);
                }
            }
        })).ToArray();
        // One reader waits; the other only takes items with TryRead, as a module's immediate stop does.
        var waiting = Task.Run(async () =>
        {
            while (await queue.WaitToReadAsync())
            {
                while (queue.TryRead(out var item))
                {
                    Interlocked.Increment(ref seen[item]);
                }
            }
        });
        var polling = Task.Run(() =>
        {
            while (!queue.IsCompleted || queue.Count > 0)
            {
                if (queue.TryRead(out var item))
                {
                    Interlocked.Increment(ref seen[item]);
                }
            }
        });

        await Within(Task.WhenAll(producers), context);
        queue.Complete();
        await Within(Task.WhenAll(waiting, polling), context);
        var wrong = Enumerable.Range(0, seen.Length).Where(i => seen[i] != 1).Take(5).Select(i => $"{i}: {seen[i]}x").ToArray();
        Assert.True(wrong.Length == 0, $"{context}: {string.Join(", ", wrong)}");
    }

    private static async Task Within(Task task, string context = "")
    {
        try
        {
            await task.WaitAsync(Bound);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"hung for {Bound.TotalSeconds} s {context}");
        }
    }

    private static async Task<T> Within<T>(Task<T> task, string context = "")
    {
        await Within((Task)task, context);
        return await task;
    }
}
