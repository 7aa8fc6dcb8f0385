using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Testing;
using EventRouter.Tests.DispatchLoop;
using EventRouter.Tests.Infrastructure;

namespace EventRouter.Tests.Faults;

/// <summary>The dispatch loop under stop races and misbehaving listeners and sinks: every accepted event accounted for once.</summary>
[Collection(DispatchLoopCollection.Name)]
public sealed class DispatchLoopFaultTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task StopNeverStartedLoop_WhileProducersEnqueue_EveryAcceptedEventReturned()
    {
        var seed = FaultFigures.Seed();
        var random = new Random(seed);
        const int Iterations = 300;
        long accepted = 0, lost = 0;
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var dispatcher = new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>(_ => { }));
            var mode = (QueueFullMode)random.Next(5);
            var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { Capacity = 1 + random.Next(8), MaxParallelism = 1 + random.Next(3), FullMode = mode });
            var ok = new int[2];
            var producerSeeds = new[] { random.Next(), random.Next() };
            using var go = new Barrier(3);
            var producers = Enumerable.Range(0, 2).Select(p => Task.Run(async () =>
            {
                var r = new Random(producerSeeds[p]);
                go.SignalAndWait();
                for (var i = 0; i < 40; i++)
                {
                    try
                    {
                        if (r.Next(2) == 0)
                        {
                            if (loop.TryEnqueue(new Ping(i)))
                            {
                                ok[p]++;
                            }
                        }
                        else
                        {
                            await loop.EnqueueAsync(new Ping(i));
                            ok[p]++;
                        }
                    }
                    catch (DispatchLoopStoppedException)
                    {
                        return;
                    }
                    catch (DispatchLoopFullException)
                    {
                    }
                }
            })).ToArray();
            go.SignalAndWait();
            var undelivered = await loop.StopAsync(TimeSpan.Zero).WaitAsync(HangGuard);
            await Task.WhenAll(producers).WaitAsync(HangGuard);

            var counts = loop.Counts;
            var mine = ok[0] + ok[1];
            accepted += mine;
            lost += mine - counts.Dropped - undelivered.Count;
            Assert.True(counts.Accepted == mine && counts.InFlight == 0 && counts.ReturnedUndelivered == undelivered.Count
                    && counts.Dropped + undelivered.Count == mine,
                $"seed {seed}, iteration {iteration}, mode {mode}: accepted {mine}, returned {undelivered.Count}, counts {counts}");
        }
        FaultFigures.Report("dispatch-loop.stop-never-started", Iterations, accepted, lost, hung: 0, twice: 0);
    }

    [Fact]
    public async Task DeliveryTimeout_AbandonedCallLaterSucceeds_IdempotentListenerCompletesOnce()
    {
        var time = new ManualTimeProvider();
        var calls = 0;
        var completed = 0;
        var firstRelease = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatcher = new TestDispatcher().Route(TestListener<Identified>.Of<ListenerA>(async (_, ct) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                await firstRelease.Task.ConfigureAwait(false); // ignores its token, then succeeds
            }
            Interlocked.Increment(ref completed);
        }));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions
        {
            TimeProvider = time,
            DeliveryTimeout = TimeSpan.FromSeconds(5),
            RetryPolicy = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.Zero },
        });
        loop.Start();

        await loop.EnqueueAsync(new Identified("evt-1", 1));
        await time.WaitForArmedTimersAsync();
        time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.WaitUntilAsync(() => loop.Counts.Retries >= 1, "the timed-out attempt retried");
        firstRelease.TrySetResult();
        await Eventually.WaitUntilAsync(() => loop.Counts.Handled == 1, "handled");
        await loop.StopAsync(Timeout.InfiniteTimeSpan).WaitAsync(HangGuard);

        Assert.Equal(1, completed);
        LoopAssert.Balanced(loop.Counts);
        FaultFigures.Report("dispatch-loop.abandoned-after-timeout", cases: 1, faults: 1, lost: 0, hung: 0, twice: completed - 1);
    }

    [Fact]
    public async Task Stop_DeadLetterSinkIgnoresToken_StopReturnsAndEventIsAccounted()
    {
        var sink = new HangingSink();
        var dispatcher = new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>(_ => throw new InvalidOperationException("listener down")));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { RetryPolicy = RetryPolicy.None, DeadLetterSink = sink });
        loop.Start();
        await loop.EnqueueAsync(new Ping(1));
        await sink.Entered.Task.WaitAsync(HangGuard);

        var undelivered = await loop.StopAsync(TimeSpan.FromMilliseconds(100)).WaitAsync(HangGuard);

        // The sink never confirmed the letter: the event comes back to the stop's caller with the listener pending,
        // and is not counted as dead-lettered.
        var counts = loop.Counts;
        Assert.Equal(1, counts.Accepted);
        Assert.Equal(0, counts.DeadLettered);
        Assert.Equal(1, counts.ReturnedUndelivered);
        Assert.Equal(nameof(ListenerA), Assert.Single(Assert.Single(undelivered).PendingListeners).ListenerType.Name);
        LoopAssert.Balanced(counts);
        sink.Release.TrySetResult();
        FaultFigures.Report("dispatch-loop.hanging-dead-letter-sink", cases: 1, faults: 1, lost: 1 - undelivered.Count, hung: 0, twice: 0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Stop_IdempotencyStoreIgnoresToken_StopReturnsAndEventIsAccounted(bool hangOnCheck)
    {
        var store = new HangingStore(hangOnCheck);
        var ran = 0;
        var dispatcher = new TestDispatcher().Route(TestListener<Identified>.Of<ListenerA>(_ => Interlocked.Increment(ref ran)));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { RetryPolicy = RetryPolicy.None, IdempotencyStore = store });
        loop.Start();
        await loop.EnqueueAsync(new Identified("evt-1", 1));
        await store.Entered.Task.WaitAsync(HangGuard);

        var undelivered = await loop.StopAsync(TimeSpan.FromMilliseconds(100)).WaitAsync(HangGuard);

        var counts = loop.Counts;
        Assert.Equal(1, counts.Accepted);
        LoopAssert.Balanced(counts);
        if (hangOnCheck)
        {
            // Never known whether it ran before: not run, returned with the listener pending.
            Assert.Equal(0, ran);
            Assert.Equal(nameof(ListenerA), Assert.Single(Assert.Single(undelivered).PendingListeners).ListenerType.Name);
        }
        else
        {
            // It ran; only the mark was given up on (and logged): handled, not returned for a second run.
            Assert.Equal(1, ran);
            Assert.Equal(1, counts.Handled);
            Assert.Empty(undelivered);
        }
        store.Release.TrySetResult();
    }

    private sealed class HangingStore(bool hangOnCheck) : IIdempotencyStore
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<bool> IsCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken)
        {
            if (!hangOnCheck)
            {
                return new ValueTask<bool>(false);
            }
            Entered.TrySetResult();
            return new ValueTask<bool>(Release.Task.ContinueWith(_ => false, TaskScheduler.Default)); // ignores its token
        }

        public ValueTask MarkCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            return new ValueTask(Release.Task); // ignores its token
        }
    }

    private sealed class HangingSink : IDeadLetterSink
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask WriteAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            return new ValueTask(Release.Task); // ignores its token
        }
    }
}
