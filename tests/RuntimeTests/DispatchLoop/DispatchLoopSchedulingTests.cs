using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Tests.Faults;

namespace EventRouter.Tests.DispatchLoop;

/// <summary>Scheduled and delayed events: due times on the loop's clock, cancellation, stop, backpressure, accounting.</summary>
[Collection(DispatchLoopCollection.Name)]
public sealed class DispatchLoopSchedulingTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private readonly ManualTimeProvider _time = new();
    private readonly ConcurrentQueue<int> _handled = new();

    private EventDispatchLoop Loop(Action<DispatchLoopOptions>? configure = null, Func<Ping, CancellationToken, ValueTask>? listener = null)
    {
        var dispatcher = new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>(async (e, ct) =>
        {
            if (listener is not null)
            {
                await listener(e, ct);
            }
            _handled.Enqueue(e.N);
        }));
        var options = new DispatchLoopOptions { TimeProvider = _time, MaxParallelism = 1, RetryPolicy = RetryPolicy.None };
        configure?.Invoke(options);
        return new EventDispatchLoop(dispatcher, options);
    }

    private Task HandledAsync(int count) => Eventually.WaitUntilAsync(() => _handled.Count >= count, $"{count} handled");

    [Fact]
    public async Task EnqueueAsync_Delay_EntersTheQueueOnlyWhenDue()
    {
        var loop = Loop();
        loop.Start();

        var scheduled = await loop.EnqueueAsync(new Ping(1), TimeSpan.FromSeconds(10));
        _time.Advance(TimeSpan.FromSeconds(9));

        // Not due: still in the schedule, nothing in the queue, accepted and in flight.
        Assert.True(scheduled.IsPending);
        Assert.Equal(1, loop.ScheduledCount);
        Assert.Equal(0, loop.QueuedCount);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(1), scheduled.DueAt);
        Assert.Equal(1, loop.Counts.Accepted);
        Assert.Equal(1, loop.Counts.InFlight);
        Assert.Empty(_handled);

        _time.Advance(TimeSpan.FromSeconds(1));
        await HandledAsync(1);

        Assert.False(scheduled.IsPending);
        Assert.Equal(0, loop.ScheduledCount);
        Assert.Empty(await loop.StopAsync(HangGuard));
        var counts = loop.Counts;
        Assert.Equal((1L, 1L, 1L, 0L), (counts.Scheduled, counts.Accepted, counts.Handled, counts.Canceled));
        LoopAssert.Balanced(counts);
    }

    [Fact]
    public async Task EnqueueAsync_DueAt_EntersTheQueueAtThatTime()
    {
        var loop = Loop();
        loop.Start();
        var at = _time.GetUtcNow() + TimeSpan.FromMinutes(5);

        var scheduled = await loop.EnqueueAsync(new Ping(7), at);
        _time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(1));
        Assert.True(scheduled.IsPending);
        _time.Advance(TimeSpan.FromTicks(1));
        await HandledAsync(1);

        Assert.Equal(at, scheduled.DueAt);
        Assert.Equal(new[] { 7 }, _handled);
        await loop.StopAsync(HangGuard);
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task EnqueueAsync_ScheduledOutOfOrder_EnterTheQueueByDueTimeThenInScheduleOrder()
    {
        var loop = Loop();
        loop.Start();
        var delays = new[] { 30, 10, 20, 10, 5, 20 };
        for (var i = 0; i < delays.Length; i++)
        {
            await loop.EnqueueAsync(new Ping(i), TimeSpan.FromSeconds(delays[i]));
        }

        _time.Advance(TimeSpan.FromSeconds(60));
        await HandledAsync(delays.Length);

        Assert.Equal(new[] { 4, 1, 3, 2, 5, 0 }, _handled);
        await loop.StopAsync(HangGuard);
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task EnqueueAsync_DueOneAfterAnother_EachWhenItsTimeComes()
    {
        var loop = Loop();
        loop.Start();
        for (var i = 1; i <= 5; i++)
        {
            await loop.EnqueueAsync(new Ping(i), TimeSpan.FromSeconds(i));
        }

        for (var i = 1; i <= 5; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await HandledAsync(i);
            Assert.Equal(5 - i, loop.ScheduledCount);
        }

        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, _handled);
        await loop.StopAsync(HangGuard);
    }

    [Fact]
    public async Task Cancel_Pending_NeverDeliveredAndCountedAsCanceled()
    {
        var loop = Loop();
        loop.Start();
        var canceled = await loop.EnqueueAsync(new Ping(1), TimeSpan.FromSeconds(10));
        await loop.EnqueueAsync(new Ping(2), TimeSpan.FromSeconds(10));

        Assert.True(canceled.Cancel());
        Assert.False(canceled.Cancel());
        Assert.False(canceled.IsPending);
        Assert.Equal(1, loop.ScheduledCount);
        _time.Advance(TimeSpan.FromSeconds(10));
        await HandledAsync(1);

        Assert.Empty(await loop.StopAsync(HangGuard));
        Assert.Equal(new[] { 2 }, _handled);
        var counts = loop.Counts;
        Assert.Equal((2L, 2L, 1L, 1L), (counts.Scheduled, counts.Accepted, counts.Handled, counts.Canceled));
        LoopAssert.Balanced(counts);
    }

    [Fact]
    public async Task Cancel_AfterItWasDue_ReturnsFalseAndTheEventIsDelivered()
    {
        var loop = Loop();
        loop.Start();
        var scheduled = await loop.EnqueueAsync(new Ping(1), TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(1));
        await HandledAsync(1);

        Assert.False(scheduled.Cancel());
        await loop.StopAsync(HangGuard);
        Assert.Equal(0, loop.Counts.Canceled);
        LoopAssert.Balanced(loop.Counts);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task EnqueueAsync_DueNowOrInThePast_QueuedAtOnce(int seconds)
    {
        var loop = Loop();

        var scheduled = seconds == 0
            ? await loop.EnqueueAsync(new Ping(1), TimeSpan.Zero)
            : await loop.EnqueueAsync(new Ping(1), _time.GetUtcNow() + TimeSpan.FromSeconds(seconds));

        Assert.False(scheduled.IsPending);
        Assert.False(scheduled.Cancel());
        Assert.Equal(1, loop.QueuedCount);
        Assert.Equal(0, loop.ScheduledCount);
        loop.Start();
        await HandledAsync(1);
        await loop.StopAsync(HangGuard);
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task StopAsync_PendingScheduledEvents_ReturnedUndeliveredWithTheirDueTimes()
    {
        var reported = new List<UndeliveredEvent>();
        var loop = Loop(o => o.OnUndelivered = reported.AddRange);
        loop.Start();
        var first = await loop.EnqueueAsync(new Ping(1), TimeSpan.FromSeconds(10));
        var second = await loop.EnqueueAsync(new Ping(2), TimeSpan.FromHours(1));

        var undelivered = await loop.StopAsync(HangGuard);

        Assert.Equal(new object[] { new Ping(1), new Ping(2) }, undelivered.Select(u => u.Event));
        Assert.Equal(new DateTimeOffset?[] { first.DueAt, second.DueAt }, undelivered.Select(u => u.DueAt));
        Assert.All(undelivered, u => Assert.Equal(typeof(ListenerA), Assert.Single(u.PendingListeners).ListenerType));
        Assert.Equal(undelivered, reported);
        Assert.False(first.IsPending);
        Assert.False(first.Cancel());
        var counts = loop.Counts;
        Assert.Equal((2L, 2L, 0L), (counts.Accepted, counts.ReturnedUndelivered, counts.Canceled));
        LoopAssert.Balanced(counts);
        // Time passing after the stop delivers nothing.
        _time.Advance(TimeSpan.FromHours(2));
        Assert.Empty(_handled);
    }

    [Fact]
    public async Task StopAsync_NeverStarted_ReturnsQueuedAndScheduledEvents()
    {
        var loop = Loop();
        await loop.EnqueueAsync(new Ping(1));
        await loop.EnqueueAsync(new Ping(2), TimeSpan.FromSeconds(1));

        var undelivered = await loop.StopAsync(TimeSpan.Zero);

        Assert.Equal(2, undelivered.Count);
        Assert.Equal(new DateTimeOffset?[] { null, _time.GetUtcNow() + TimeSpan.FromSeconds(1) }, undelivered.OrderBy(u => ((Ping)u.Event).N).Select(u => u.DueAt));
        LoopAssert.Balanced(loop.Counts);
    }

    [Theory]
    [InlineData(QueueFullMode.Wait)]
    [InlineData(QueueFullMode.Reject)]
    public async Task EnqueueAsync_DueWhileTheQueueIsFull_WaitsForRoomAndIsDelivered(QueueFullMode mode)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loop = Loop(o => { o.Capacity = 1; o.FullMode = mode; }, async (e, _) =>
        {
            if (e.N == 0)
            {
                entered.TrySetResult();
                await release.Task;
            }
        });
        loop.Start();
        await loop.EnqueueAsync(new Ping(0));
        await entered.Task.WaitAsync(HangGuard);
        await loop.EnqueueAsync(new Ping(1)); // the queue is full now
        await loop.EnqueueAsync(new Ping(2), TimeSpan.FromSeconds(1));

        _time.Advance(TimeSpan.FromSeconds(1));
        // Accepted when it was scheduled: it waits for room rather than being rejected.
        Assert.Equal(0, loop.ScheduledCount);
        Assert.Equal(3, loop.Counts.Accepted);
        release.TrySetResult();
        await HandledAsync(3);

        Assert.Equal(new[] { 0, 1, 2 }, _handled);
        Assert.Empty(await loop.StopAsync(HangGuard));
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task StopAsync_DueEventWaitingForRoom_ReturnedUndelivered()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loop = Loop(o => o.Capacity = 1, async (e, ct) =>
        {
            entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });
        loop.Start();
        await loop.EnqueueAsync(new Ping(0));
        await entered.Task.WaitAsync(HangGuard);
        await loop.EnqueueAsync(new Ping(1));
        var scheduled = await loop.EnqueueAsync(new Ping(2), TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(scheduled.IsPending);

        var undelivered = await loop.StopAsync(TimeSpan.Zero);

        Assert.Equal(new[] { 0, 1, 2 }, undelivered.Select(u => ((Ping)u.Event).N).OrderBy(n => n));
        Assert.Equal(scheduled.DueAt, undelivered.Single(u => ((Ping)u.Event).N == 2).DueAt);
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task EnqueueAsync_InvalidCalls_Throw()
    {
        var loop = Loop();

        Assert.Throws<ArgumentNullException>(() => loop.EnqueueAsync(null!, TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => loop.EnqueueAsync(new Ping(1), TimeSpan.FromSeconds(-1)));
        var strict = new EventDispatchLoop(
            new TestDispatcher(options: new EventRouterOptions { NoListenerPolicy = NoListenerPolicy.Throw }).Route(TestListener<Ping>.Of<ListenerA>(_ => { })),
            new DispatchLoopOptions { TimeProvider = _time });
        Assert.Throws<NoListenerException>(() => strict.EnqueueAsync(new Unrouted(1), TimeSpan.FromSeconds(1)));
        // Without Throw, an event nothing listens to is not accepted (as for EnqueueAsync): the handle is not pending.
        var ignored = await loop.EnqueueAsync(new Unrouted(1), TimeSpan.FromSeconds(1));
        Assert.False(ignored.IsPending);
        Assert.False(ignored.Cancel());
        Assert.Equal(0, loop.Counts.Accepted);
        await strict.StopAsync(TimeSpan.Zero);
        await loop.StopAsync(TimeSpan.Zero);
        Assert.Throws<DispatchLoopStoppedException>(() => loop.EnqueueAsync(new Ping(1), TimeSpan.FromSeconds(1)));
        Assert.Throws<DispatchLoopStoppedException>(() => loop.EnqueueAsync(new Ping(1), _time.GetUtcNow()));
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task Scheduling_ManyProducersRandomDelaysCancelsAndAStop_EveryScheduledEventHasExactlyOneOutcome()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("FAULT_SEED"), out var s) ? s : 20_26;
        long cancels = 0;
        for (var round = 0; round < 10; round++)
        {
            var random = new Random(seed + round);
            _handled.Clear();
            var loop = Loop(o => { o.MaxParallelism = 3; o.Capacity = 8; });
            loop.Start();
            var handles = new ConcurrentQueue<ScheduledEvent>();
            var canceled = 0;
            var producers = Enumerable.Range(0, 4).Select(p =>
            {
                var local = new Random(random.Next());
                return Task.Run(async () =>
                {
                    for (var i = 0; i < 200; i++)
                    {
                        var handle = await loop.EnqueueAsync(new Ping(p * 1000 + i), TimeSpan.FromSeconds(local.Next(0, 50)));
                        handles.Enqueue(handle);
                        if (local.Next(4) == 0 && handle.Cancel())
                        {
                            Interlocked.Increment(ref canceled);
                        }
                    }
                });
            }).ToArray();
            var stopAt = random.Next(0, 60);
            for (var second = 0; second < stopAt; second++)
            {
                _time.Advance(TimeSpan.FromSeconds(1));
                await Task.Yield();
            }
            await Task.WhenAll(producers).WaitAsync(HangGuard);

            var undelivered = await loop.StopAsync(HangGuard);

            var counts = loop.Counts;
            var context = $"seed {seed + round}, stop at {stopAt}s: {counts}";
            Assert.True(800 == counts.Scheduled, context);
            Assert.True(800 == counts.Accepted, context);
            Assert.True(canceled == counts.Canceled, context);
            Assert.True(counts.Handled == _handled.Count && undelivered.Count == counts.ReturnedUndelivered, context);
            Assert.True(_handled.Distinct().Count() == _handled.Count, context + ": an event was delivered twice");
            Assert.True(counts.Handled + counts.Canceled + counts.ReturnedUndelivered == 800, context);
            LoopAssert.Balanced(counts);
            // Every handle ended in a final state.
            Assert.All(handles, h => Assert.False(h.IsPending, context));
            cancels += counts.Canceled;
        }
        FaultFigures.Report("dispatch-loop.scheduling", cases: 10, faults: cancels, lost: 0, hung: 0, twice: 0);
    }
}
