using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;

namespace EventRouter.Tests.DispatchLoop;

/// <summary>Each listener tracked alone, retried with backoff and jitter, policies global and per listener; delivery timeouts.</summary>
[Collection(DispatchLoopCollection.Name)]
public sealed class DispatchLoopRetryTests
{
    private static readonly RetryPolicy OneSecondDoubling = new()
    {
        MaxAttempts = 4, InitialDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromMinutes(1), BackoffMultiplier = 2, Jitter = 0,
    };

    public enum FailureKind
    {
        ThrowsSynchronously,
        ReturnsFaultedTask,
        ThrowsAfterGoingAsync,
    }

    [Theory]
    [InlineData(FailureKind.ThrowsSynchronously)]
    [InlineData(FailureKind.ReturnsFaultedTask)]
    [InlineData(FailureKind.ThrowsAfterGoingAsync)]
    public async Task Deliver_ListenerFailsOnce_OnlyFailedListenerIsRetried(FailureKind kind)
    {
        var time = new ManualTimeProvider();
        int a = 0, b = 0, c = 0;
        var dispatcher = new TestDispatcher().Route(
            TestListener<Ping>.Of<ListenerA>(_ => Interlocked.Increment(ref a)),
            TestListener<Ping>.Of<ListenerB>((_, ct) =>
            {
                if (Interlocked.Increment(ref b) != 1)
                {
                    return default;
                }
                return kind switch
                {
                    FailureKind.ThrowsSynchronously => throw new InvalidOperationException("transient"),
                    FailureKind.ReturnsFaultedTask => ValueTask.FromException(new InvalidOperationException("transient")),
                    _ => FailAfterYield(),
                };

                static async ValueTask FailAfterYield()
                {
                    await Task.Yield();
                    throw new InvalidOperationException("transient");
                }
            }),
            TestListener<Ping>.Of<ListenerC>(_ => Interlocked.Increment(ref c)));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { TimeProvider = time, RetryPolicy = OneSecondDoubling });
        loop.Start();

        await loop.EnqueueAsync(new Ping(1));
        await time.WaitForArmedTimersAsync();
        Assert.Equal((1, 1, 1), (a, b, c));
        time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.WaitUntilAsync(() => loop.Counts.Handled == 1, "event handled");
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal((1, 2, 1), (a, b, c));
        Assert.Equal(1, loop.Counts.Retries);
        Assert.Equal(0, loop.Counts.DeadLettered);
    }

    [Fact]
    public async Task Deliver_ListenerKeepsFailing_BackoffDoublesUntilDeadLetter()
    {
        var time = new ManualTimeProvider();
        var sink = new ListDeadLetterSink();
        var calls = 0;
        var dispatcher = new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>(_ =>
        {
            Interlocked.Increment(ref calls);
            throw new InvalidOperationException("down");
        }));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { TimeProvider = time, RetryPolicy = OneSecondDoubling, DeadLetterSink = sink });
        loop.Start();

        await loop.EnqueueAsync(new Ping(1));
        foreach (var expected in new[] { 1, 2, 4 })
        {
            await time.WaitForArmedTimersAsync();
            // The backoff is exactly `expected` seconds: one tick before, its timer is still armed; at `expected` it fires.
            time.Advance(TimeSpan.FromSeconds(expected) - TimeSpan.FromTicks(1));
            Assert.Equal(1, time.ActiveTimers);
            time.Advance(TimeSpan.FromTicks(1));
        }
        await Eventually.WaitUntilAsync(() => !sink.Letters.IsEmpty, "dead letter");
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal(4, calls);
        Assert.Equal(4, Assert.Single(sink.Letters).Attempts);
        Assert.Equal(3, loop.Counts.Retries);
        Assert.Equal(1, loop.Counts.DeadLettered);
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public void GetDelay_WithJitter_StaysWithinBoundsAndCap()
    {
        var policy = new RetryPolicy { InitialDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1), BackoffMultiplier = 3, Jitter = 0.5 };

        Assert.Equal(TimeSpan.FromMilliseconds(50), policy.GetDelay(1, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(100), policy.GetDelay(1, 0.5));
        Assert.Equal(TimeSpan.FromMilliseconds(300), policy.GetDelay(2, 0.5));
        Assert.InRange(policy.GetDelay(1, 0.999999), TimeSpan.FromMilliseconds(149), TimeSpan.FromMilliseconds(150));
        Assert.Equal(TimeSpan.FromSeconds(1), policy.GetDelay(3, 1)); // 900 ms * 1.5 capped at MaxDelay
        Assert.Equal(TimeSpan.FromSeconds(1), policy.GetDelay(500, 0.5)); // overflow-safe
    }

    [Fact]
    public async Task Deliver_PerListenerRetryPolicy_OverridesGlobalPolicy()
    {
        var sink = new ListDeadLetterSink();
        var dispatcher = new TestDispatcher().Route(
            TestListener<Ping>.Of<ListenerA>(_ => throw new InvalidOperationException("a")),
            TestListener<Ping>.Of<ListenerB>(_ => throw new InvalidOperationException("b")));
        var options = new DispatchLoopOptions
        {
            DeadLetterSink = sink,
            RetryPolicy = new RetryPolicy { MaxAttempts = 4, InitialDelay = TimeSpan.Zero },
        }.SetRetryPolicy<ListenerA>(new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.Zero });
        var loop = new EventDispatchLoop(dispatcher, options);
        loop.Start();

        await loop.EnqueueAsync(new Ping(1));
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        var letters = sink.Letters.ToDictionary(l => l.Listener.ListenerType, l => l.Attempts);
        Assert.Equal(2, letters[typeof(ListenerA)]);
        Assert.Equal(4, letters[typeof(ListenerB)]);
        Assert.Equal(1, loop.Counts.DeadLettered);
    }

    [Fact]
    public async Task Deliver_ListenerThrowsItsOwnOperationCanceled_CountsAsFailure()
    {
        var sink = new ListDeadLetterSink();
        var dispatcher = new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>(_ => throw new OperationCanceledException("own")));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { DeadLetterSink = sink, RetryPolicy = RetryPolicy.None });
        loop.Start();

        await loop.EnqueueAsync(new Ping(1));
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.IsType<OperationCanceledException>(Assert.Single(sink.Letters).Exception);
        Assert.Equal(1, loop.Counts.DeadLettered);
        Assert.Equal(0, loop.Counts.ReturnedUndelivered);
    }

    [Fact]
    public async Task Deliver_ListenerHangsPastDeliveryTimeout_CancelledTimedOutAndRetried()
    {
        var time = new ManualTimeProvider();
        var calls = 0;
        CancellationToken firstToken = default;
        var never = new TaskCompletionSource();
        var dispatcher = new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>((_, ct) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                firstToken = ct;
                return new ValueTask(never.Task); // hangs and ignores its token
            }
            return default;
        }));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions
        {
            TimeProvider = time,
            DeliveryTimeout = TimeSpan.FromSeconds(5),
            RetryPolicy = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.Zero },
        });
        loop.Start();

        await loop.EnqueueAsync(new Ping(1));
        await time.WaitForArmedTimersAsync();
        time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.WaitUntilAsync(() => loop.Counts.Handled == 1, "handled on retry");
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal(2, calls);
        Assert.True(firstToken.IsCancellationRequested);
        Assert.Equal(1, loop.Counts.Retries);
    }

    [Fact]
    public async Task Deliver_ListenerHangsPastDeliveryTimeoutOnLastAttempt_DeadLetteredWithTimeoutException()
    {
        var time = new ManualTimeProvider();
        var sink = new ListDeadLetterSink();
        var dispatcher = new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>((_, ct) => new ValueTask(Task.Delay(Timeout.Infinite, ct))));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions
        {
            TimeProvider = time, DeliveryTimeout = TimeSpan.FromSeconds(5), RetryPolicy = RetryPolicy.None, DeadLetterSink = sink,
        });
        loop.Start();

        await loop.EnqueueAsync(new Ping(1));
        await time.WaitForArmedTimersAsync();
        time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.WaitUntilAsync(() => !sink.Letters.IsEmpty, "dead letter");
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        var letter = Assert.Single(sink.Letters);
        var timeout = Assert.IsType<TimeoutException>(letter.Exception);
        Assert.Contains(typeof(ListenerA).FullName!, timeout.Message, StringComparison.Ordinal);
        Assert.Equal(1, loop.Counts.DeadLettered);
    }

    [Fact]
    public async Task Deliver_NoDeliveryTimeoutByDefault_SlowListenerIsNotCancelled()
    {
        var time = new ManualTimeProvider();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        CancellationToken token = default;
        var dispatcher = new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>(async (_, ct) =>
        {
            token = ct;
            await release.Task;
        }));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { TimeProvider = time });
        loop.Start();

        await loop.EnqueueAsync(new Ping(1));
        await Eventually.WaitUntilAsync(() => token.CanBeCanceled, "listener running");
        time.Advance(TimeSpan.FromDays(1));
        Assert.False(token.IsCancellationRequested);
        release.SetResult();
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal(1, loop.Counts.Handled);
        Assert.Equal(0, loop.Counts.Retries);
    }
}
