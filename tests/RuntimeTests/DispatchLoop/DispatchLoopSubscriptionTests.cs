using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;

namespace EventRouter.Tests.DispatchLoop;

/// <summary>Run-time subscriptions (IEventSubscriber) receive enqueued events after the compile-time listeners.</summary>
[Collection(DispatchLoopCollection.Name)]
public sealed class DispatchLoopSubscriptionTests
{
    [Fact]
    public async Task EnqueueAsync_RuntimeSubscription_DeliveredAfterListenersAndRetriedAlone()
    {
        var seen = new ConcurrentQueue<string>();
        var subscriptionCalls = 0;
        var dispatcher = new TestDispatcher().Route(TestListener<Identified>.Of<ListenerA>(e => seen.Enqueue("listener")));
        using var subscription = dispatcher.Subscribe<Identified>((e, ct) =>
        {
            if (Interlocked.Increment(ref subscriptionCalls) == 1)
            {
                throw new InvalidOperationException("first attempt fails");
            }
            seen.Enqueue("subscription");
            return default;
        }, name: "audit");
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { RetryPolicy = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.Zero } });
        loop.Start();

        await loop.EnqueueAsync(new Identified("evt-1", 1));
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal(new[] { "listener", "subscription" }, seen.ToArray());
        Assert.Equal(2, subscriptionCalls);
        Assert.Equal((1L, 1L), (loop.Counts.Handled, loop.Counts.Retries));
    }

    [Fact]
    public async Task EnqueueAsync_TypeWithOnlyASubscription_DeliveredAndDeadLetteredUnderItsName()
    {
        var sink = new ListDeadLetterSink();
        var dispatcher = new TestDispatcher(options: new EventRouterOptions { NoListenerPolicy = NoListenerPolicy.Throw });
        using var subscription = dispatcher.Subscribe<Unrouted>((_, _) => throw new InvalidOperationException("nope"), name: "only-subscriber");
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { RetryPolicy = RetryPolicy.None, DeadLetterSink = sink });
        loop.Start();

        await loop.EnqueueAsync(new Unrouted(1));
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal("only-subscriber", Assert.Single(sink.Letters).Listener.Name);
        Assert.Equal(1, loop.Counts.DeadLettered);
    }
}
