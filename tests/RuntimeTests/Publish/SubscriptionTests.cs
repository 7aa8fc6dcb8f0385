using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Generated;

namespace EventRouter.Tests.Publish;

[Collection(TelemetrySensitive.Name)]
public sealed class SubscriptionTests
{
    private readonly Journal _journal = new();

    public SubscriptionTests() => Journal.Current.Value = _journal;

    [Fact]
    public async Task Subscribe_Delegate_RunsAfterCompileTimeListeners()
    {
        var dispatcher = new EventDispatcher();
        using var subscription = dispatcher.Subscribe<OrderPlaced>((e, _) => { Journal.Write($"sub:{e.OrderId}"); return default; });

        await dispatcher.PublishAsync(new OrderPlaced(4));

        Assert.Equal(new[] { "domain:OrderPlaced:shop", "audit:4", "sub:4" }, _journal.Entries);
    }

    [Fact]
    public async Task Subscribe_ListenerInstance_ReceivesEveryEntry()
    {
        var dispatcher = new EventDispatcher();
        var listener = new PingCounter();
        using var subscription = dispatcher.Subscribe(listener);

        await dispatcher.PublishAsync(new Ping(1));
        await dispatcher.PublishAsync<Ping>(new Ping(2));
        await dispatcher.PublishAsync((object)new Ping(3));

        Assert.Equal(3, listener.Count);
    }

    [Fact]
    public async Task Dispose_Unsubscribes_AndIsSafeTwice()
    {
        var dispatcher = new EventDispatcher();
        var subscription = dispatcher.Subscribe<OrderPlaced>((e, _) => { Journal.Write("sub"); return default; });

        subscription.Dispose();
        subscription.Dispose();
        await dispatcher.PublishAsync(new OrderPlaced(1));

        Assert.DoesNotContain("sub", _journal.Entries);
    }

    [Fact]
    public async Task Subscribe_ToInterface_ReceivesEveryAssignableEvent()
    {
        var dispatcher = new EventDispatcher();
        var seen = new List<string>();
        using var subscription = dispatcher.Subscribe<IDomainEvent>((e, _) => { seen.Add(e.GetType().Name); return default; });

        await dispatcher.PublishAsync(new OrderPlaced(1));
        await dispatcher.PublishAsync(new ExpressItemShipped("x"));
        await dispatcher.PublishAsync((object)new GenericEvent<string>("g"));
        await dispatcher.PublishAsync(new Ping(1));

        Assert.Equal(new[] { "OrderPlaced", "ExpressItemShipped", "GenericEvent`1" }, seen);
    }

    [Fact]
    public async Task Subscribe_EventWithoutCompileTimeListener_IsDeliveredAndNoListenerPolicyReturnsAfterDispose()
    {
        var dispatcher = new EventDispatcher(new EventRouterOptions { NoListenerPolicy = NoListenerPolicy.Throw });
        var seen = new List<object>();
        var known = dispatcher.Subscribe<Unheard>((e, _) => { seen.Add(e); return default; });
        var unknown = dispatcher.Subscribe<Version>((e, _) => { seen.Add(e); return default; });

        await dispatcher.PublishAsync(new Unheard(1));
        await dispatcher.PublishAsync((object)new Version(2, 0));
        known.Dispose();
        unknown.Dispose();

        Assert.Equal(new object[] { new Unheard(1), new Version(2, 0) }, seen);
        await Assert.ThrowsAsync<NoListenerException>(() => dispatcher.PublishAsync(new Unheard(1)).AsTask());
        await Assert.ThrowsAsync<NoListenerException>(() => dispatcher.PublishAsync((object)new Version(2, 0)).AsTask());
        Assert.Null(dispatcher.GetRoute(typeof(Version)));
    }

    [Fact]
    public async Task Subscribe_ThrowingDelegate_OthersRunAndFailureNamesTheSubscription()
    {
        var dispatcher = new EventDispatcher();
        using var failing = dispatcher.Subscribe<OrderPlaced>((_, _) => throw new InvalidOperationException("boom"), name: "failing-subscriber");
        using var after = dispatcher.Subscribe<OrderPlaced>((e, _) => { Journal.Write("after"); return default; });

        var error = await Assert.ThrowsAsync<EventPublishException>(() => dispatcher.PublishAsync(new OrderPlaced(1)).AsTask());

        Assert.Equal(new[] { "domain:OrderPlaced:shop", "audit:1", "after" }, _journal.Entries);
        Assert.Equal("failing-subscriber", Assert.Single(error.Failures).Listener.Name);
    }

    [Fact]
    public async Task Subscribe_ConcurrentMode_RunsSubscribersToo()
    {
        var dispatcher = new EventDispatcher(new EventRouterOptions { PublishMode = PublishMode.Concurrent });
        var count = 0;
        using var subscription = dispatcher.Subscribe<OrderPlaced>((_, _) => { Interlocked.Increment(ref count); return default; });

        await dispatcher.PublishAsync(new OrderPlaced(1));

        Assert.Equal(1, count);
    }

    [Fact]
    public async Task SubscribeBetweenTwoTypedPublishes_TheSecondReachesItAndAfterDisposeTheFastPathIsBack()
    {
        var dispatcher = new EventDispatcher();
        var ping = new Ping(1);
        Assert.True(dispatcher.PublishAsync(ping).IsCompletedSuccessfully);
        var seen = 0;

        using (dispatcher.Subscribe<Ping>((_, _) => { seen++; return default; }))
        {
            await dispatcher.PublishAsync(ping);
        }
        await dispatcher.PublishAsync(ping);

        Assert.Equal(1, seen);
        var allocated = Allocations.OnThisThread(_ => Assert.True(dispatcher.PublishAsync(ping).IsCompletedSuccessfully), warmUp: i => _ = dispatcher.PublishAsync(ping));
        Assert.Equal(0, allocated);
    }

    [Fact]
    public async Task Subscribe_ConcurrentMode_UnsubscribingLeavesTypedPublishConcurrent()
    {
        var dispatcher = new EventDispatcher(new EventRouterOptions { PublishMode = PublishMode.Concurrent });
        dispatcher.Subscribe<GatedEvent>((_, _) => default).Dispose();

        // The first listener waits for the second; only a concurrent publish finishes.
        await dispatcher.PublishAsync(new GatedEvent(new TaskCompletionSource())).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(new[] { "gate-opened", "gate-passed" }, _journal.Entries);
    }

    [Fact]
    public void Publish_WithSubscriptionsForOtherTypesOnly_AllocatesNothing()
    {
        var dispatcher = new EventDispatcher();
        using var a = dispatcher.Subscribe<OrderPlaced>((_, _) => default);
        using var b = dispatcher.Subscribe<Tick>((_, _) => default);
        var ping = new Ping(1);

        Assert.Equal(0, Allocations.OnThisThread(i => _ = dispatcher.PublishAsync(ping)));
    }

    [Fact]
    public async Task SubscribeAndUnsubscribe_DuringConcurrentPublishes_NeverBreakAPublish()
    {
        var dispatcher = new EventDispatcher();
        var permanent = 0;
        var transientCalls = 0;
        using var always = dispatcher.Subscribe<Ping>((_, _) => { Interlocked.Increment(ref permanent); return default; });
        var churnDone = 0;
        const int ChurnRounds = 2_000;

        var churn = Task.Run(() =>
        {
            for (var n = 0; n < ChurnRounds; n++)
            {
                using var transient = dispatcher.Subscribe<Ping>((_, _) => { Interlocked.Increment(ref transientCalls); return default; });
                using var other = dispatcher.Subscribe<IDomainEvent>((_, _) => default);
            }
            Volatile.Write(ref churnDone, 1);
        });
        // Publishers keep going until the churn has finished, so the two always overlap.
        var publishers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            var published = 0;
            while (Volatile.Read(ref churnDone) == 0 || published < 1_000)
            {
                await dispatcher.PublishAsync(new Ping(published++));
            }
            return published;
        })).ToArray();

        var counts = await Task.WhenAll(publishers).WaitAsync(TimeSpan.FromSeconds(60));
        await churn;

        Assert.Equal(counts.Sum(), permanent);
        Assert.Single(dispatcher.GetRoute(typeof(Ping))!.Listeners);
        var settled = transientCalls;
        await dispatcher.PublishAsync(new Ping(0));
        Assert.Equal(settled, transientCalls); // every transient subscription is gone
    }
}
