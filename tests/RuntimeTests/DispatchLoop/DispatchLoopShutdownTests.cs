using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EventRouter.Tests.DispatchLoop;

/// <summary>Stop, drain, undelivered events, stop racing producers and retries; DI scopes; hosting.</summary>
[Collection(DispatchLoopCollection.Name)]
public sealed class DispatchLoopShutdownTests
{
    [Fact]
    public async Task StopAsync_QueuedEvents_DrainsAllBeforeReturning()
    {
        var handled = 0;
        var dispatcher = new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>(async (_, ct) =>
        {
            await Task.Yield();
            Interlocked.Increment(ref handled);
        }));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { Capacity = 256, MaxParallelism = 2 });
        for (var i = 0; i < 200; i++)
        {
            await loop.EnqueueAsync(new Ping(i));
        }
        loop.Start();

        var undelivered = await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Empty(undelivered);
        Assert.Equal(200, handled);
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task StopAsync_DrainTimeoutExpires_CancelsListenerAndReturnsUndelivered()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        CancellationToken listenerToken = default;
        var dispatcher = new TestDispatcher().Route(
            TestListener<Keyed>.Of<ListenerA>(_ => { }),
            TestListener<Keyed>.Of<ListenerB>(async (_, ct) =>
            {
                listenerToken = ct;
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct); // honours cancellation
            }));
        var time = new ManualTimeProvider();
        var reported = new List<UndeliveredEvent>();
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { TimeProvider = time, OnUndelivered = reported.AddRange });
        loop.Start();
        await loop.EnqueueAsync(new Keyed("k", 1));
        await loop.EnqueueAsync(new Keyed("k", 2));
        await loop.EnqueueAsync(new Keyed("k", 3));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var stopping = loop.StopAsync(TimeSpan.FromSeconds(30));
        await time.WaitForArmedTimersAsync();
        Assert.False(stopping.IsCompleted); // still draining: the drain timeout has not passed on the loop's clock
        time.Advance(TimeSpan.FromSeconds(30));
        var undelivered = await stopping.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(listenerToken.IsCancellationRequested);
        Assert.Equal(new[] { 1, 2, 3 }, undelivered.Select(u => ((Keyed)u.Event).Seq));
        Assert.Equal(typeof(ListenerB), Assert.Single(undelivered[0].PendingListeners).ListenerType); // A had completed it
        Assert.Equal(2, undelivered[1].PendingListeners.Count);
        Assert.Equal(undelivered, reported);
        Assert.Equal(3, loop.Counts.ReturnedUndelivered);
        Assert.Equal(0, loop.Counts.DeadLettered);
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task StopAsync_WhileListenerWaitsForRetry_ReturnsEventWithOnlyPendingListener()
    {
        var time = new ManualTimeProvider();
        int a = 0, b = 0;
        var sink = new ListDeadLetterSink();
        var dispatcher = new TestDispatcher().Route(
            TestListener<Ping>.Of<ListenerA>(_ => Interlocked.Increment(ref a)),
            TestListener<Ping>.Of<ListenerB>(_ =>
            {
                Interlocked.Increment(ref b);
                throw new InvalidOperationException("down");
            }));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions
        {
            TimeProvider = time, DeadLetterSink = sink, RetryPolicy = new RetryPolicy { MaxAttempts = 5, InitialDelay = TimeSpan.FromMinutes(1), MaxDelay = TimeSpan.FromMinutes(5), Jitter = 0 },
        });
        loop.Start();
        await loop.EnqueueAsync(new Ping(1));
        await time.WaitForArmedTimersAsync(); // the backoff wait of listener B

        var undelivered = await loop.StopAsync(TimeSpan.Zero);

        var only = Assert.Single(undelivered);
        Assert.Equal(typeof(ListenerB), Assert.Single(only.PendingListeners).ListenerType);
        Assert.Equal((1, 1), (a, b));
        Assert.Empty(sink.Letters); // interrupted retries are returned, not dead-lettered
        Assert.Equal((0L, 0L, 1L), (loop.Counts.Retries, loop.Counts.DeadLettered, loop.Counts.ReturnedUndelivered));
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task StopAsync_ListenerIgnoresCancellation_StillReturnsAndReportsEvent()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource();
        var dispatcher = new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>((_, _) =>
        {
            started.TrySetResult();
            return new ValueTask(never.Task);
        }));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { MaxParallelism = 1 });
        loop.Start();
        await loop.EnqueueAsync(new Ping(1));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var undelivered = await loop.StopAsync(TimeSpan.Zero).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(new Ping(1), Assert.Single(undelivered).Event);
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task StopAsync_NeverStarted_ReturnsQueuedEvents()
    {
        var dispatcher = new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>(_ => { }));
        var loop = new EventDispatchLoop(dispatcher);
        await loop.EnqueueAsync(new Ping(1));
        await loop.EnqueueAsync(new Ping(2));

        var undelivered = await loop.StopAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(new object[] { new Ping(1), new Ping(2) }, undelivered.Select(u => u.Event).OrderBy(e => ((Ping)e).N));
        Assert.Equal(2, loop.Counts.ReturnedUndelivered);
        Assert.Same(loop.StopAsync(TimeSpan.Zero), loop.StopAsync(TimeSpan.Zero)); // a second stop returns the first one's result
    }

    [Fact]
    public async Task StopAsync_ProducersRacingWithStop_EveryAcceptedEventAccountedFor()
    {
        var handled = new ConcurrentDictionary<int, bool>();
        var dispatcher = new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>(async (p, ct) =>
        {
            if (p.N % 7 == 0)
            {
                await Task.Yield();
            }
            Assert.True(handled.TryAdd(p.N, true), "an event was handled twice");
        }));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { Capacity = 16, MaxParallelism = 2 });
        loop.Start();
        var next = 0;
        var accepted = new ConcurrentBag<int>();
        var producers = Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
        {
            while (true)
            {
                var n = Interlocked.Increment(ref next);
                try
                {
                    if (p % 2 == 0)
                    {
                        await loop.EnqueueAsync(new Ping(n));
                    }
                    else if (!loop.TryEnqueue(new Ping(n)))
                    {
                        await Task.Yield();
                        continue;
                    }
                    accepted.Add(n);
                }
                catch (DispatchLoopStoppedException)
                {
                    return;
                }
            }
        })).ToArray();
        await Eventually.WaitUntilAsync(() => handled.Count > 500, "some events handled");

        var undelivered = await loop.StopAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(producers).WaitAsync(TimeSpan.FromSeconds(10));

        var counts = loop.Counts;
        LoopAssert.Balanced(counts);
        Assert.Equal(accepted.Count, counts.Accepted);
        Assert.Equal(accepted.OrderBy(n => n), handled.Keys.Concat(undelivered.Select(u => ((Ping)u.Event).N)).OrderBy(n => n));
    }

    [Fact]
    public async Task Dispose_SynchronousDisposeByContainer_StopsAtOnceAndReportsUndelivered()
    {
        var reported = new ConcurrentQueue<UndeliveredEvent>();
        var dispatcher = new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>(_ => { }));
        var services = new ServiceCollection()
            .AddSingleton<EventDispatcherBase>(dispatcher)
            .AddEventDispatchLoop(o => o.OnUndelivered = list => { foreach (var u in list) { reported.Enqueue(u); } })
            .BuildServiceProvider();
        var loop = services.GetRequiredService<EventDispatchLoop>();
        await loop.EnqueueAsync(new Ping(1));

        services.Dispose(); // synchronous: must not throw for an IAsyncDisposable-only singleton

        await Eventually.WaitUntilAsync(() => reported.Count == 1, "undelivered reported");
        Assert.Throws<DispatchLoopStoppedException>(() => loop.TryEnqueue(new Ping(2)));
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task StopAsync_HostShutdownTokenAlreadyCancelled_AbortsAndReportsUndelivered()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reported = new ConcurrentQueue<UndeliveredEvent>();
        var dispatcher = new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>(async (_, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        }));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions
        {
            MaxParallelism = 1, DrainTimeout = Timeout.InfiniteTimeSpan, OnUndelivered = list => { foreach (var u in list) { reported.Enqueue(u); } },
        });
        IHostedService hosted = loop;
        await hosted.StartAsync(CancellationToken.None);
        await loop.EnqueueAsync(new Ping(1));
        await loop.EnqueueAsync(new Ping(2));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // The host's shutdown timeout has already passed: the drain gives up at once, whatever DrainTimeout says.
        await hosted.StopAsync(new CancellationToken(canceled: true)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(new object[] { new Ping(1), new Ping(2) }, reported.Select(u => u.Event));
        Assert.Equal(2, loop.Counts.ReturnedUndelivered);
        LoopAssert.Balanced(loop.Counts);
    }

    [Fact]
    public async Task Deliver_ScopedListeners_ShareOneScopePerDeliveryDisposedAfterwards()
    {
        var services = new ServiceCollection().AddScoped<ScopeProbe>().BuildServiceProvider();
        var seen = new ConcurrentQueue<(int Event, ScopeProbe Probe)>();
        TestListener<Ping> Scoped<TListener>() => new(typeof(TListener), (e, sp, _) =>
        {
            seen.Enqueue((e.N, sp!.GetRequiredService<ScopeProbe>()));
            return default;
        }, ListenerLifetime.Scoped);
        var dispatcher = new TestDispatcher(services).Route(Scoped<ListenerA>(), Scoped<ListenerB>());
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { MaxParallelism = 1 });
        loop.Start();

        await loop.EnqueueAsync(new Ping(1));
        await loop.EnqueueAsync(new Ping(2));
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        var byEvent = seen.GroupBy(s => s.Event).ToDictionary(g => g.Key, g => g.Select(s => s.Probe).Distinct().ToArray());
        var first = Assert.Single(byEvent[1]);
        var second = Assert.Single(byEvent[2]);
        Assert.NotSame(first, second);
        Assert.True(first.Disposed && second.Disposed);
    }

    [Fact]
    public async Task AddEventDispatchLoop_RunByHost_DeliversAndDrainsOnStop()
    {
        var handled = 0;
        using var host = new HostBuilder()
            .ConfigureServices(services => services
                .AddSingleton<EventDispatcherBase>(sp => new TestDispatcher(sp).Route(TestListener<Ping>.Of<ListenerA>(async (_, ct) =>
                {
                    await Task.Yield();
                    Interlocked.Increment(ref handled);
                })))
                .AddSingleton<IDeadLetterSink, ListDeadLetterSink>()
                .AddEventDispatchLoop(o => o.MaxParallelism = 2)
                .AddEventDispatchLoop()) // registering twice is harmless
            .Build();

        await host.StartAsync();
        var loop = host.Services.GetRequiredService<EventDispatchLoop>();
        Assert.Same(loop, Assert.Single(host.Services.GetServices<IHostedService>().OfType<EventDispatchLoop>()));
        for (var i = 0; i < 100; i++)
        {
            await loop.EnqueueAsync(new Ping(i));
        }
        await host.StopAsync();

        Assert.Equal(100, handled);
        Assert.Equal(100, loop.Counts.Handled);
        Assert.Throws<DispatchLoopStoppedException>(() => loop.TryEnqueue(new Ping(0)));
    }

    private sealed class ScopeProbe : IAsyncDisposable
    {
        public bool Disposed { get; private set; }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return default;
        }
    }
}
