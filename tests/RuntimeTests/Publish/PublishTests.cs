using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Generated;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventRouter.Tests.Publish;

[Collection(TelemetrySensitive.Name)]
public sealed class PublishTests
{
    private readonly Journal _journal = new();

    public PublishTests() => Journal.Current.Value = _journal;

    [Fact]
    public async Task PublishAsync_Typed_RunsEveryListenerInStableOrder()
    {
        var dispatcher = new EventDispatcher();

        await dispatcher.PublishAsync(new OrderPlaced(7));

        // Listeners run in ordinal order of their full type names; DomainEventLog listens through the interface.
        Assert.Equal(new[] { "domain:OrderPlaced:shop", "audit:7" }, _journal.Entries);
    }

    [Fact]
    public async Task PublishAsync_GenericAndObjectEntries_ReachTheSameListeners()
    {
        var dispatcher = new EventDispatcher();
        IEventPublisher publisher = dispatcher;

        await publisher.PublishAsync(new OrderPlaced(1));
        await publisher.PublishAsync<IDomainEvent>(new OrderPlaced(2));
        await publisher.PublishAsync((object)new OrderPlaced(3));

        Assert.Equal(
            new[] { "domain:OrderPlaced:shop", "audit:1", "domain:OrderPlaced:shop", "audit:2", "domain:OrderPlaced:shop", "audit:3" },
            _journal.Entries);
    }

    [Fact]
    public async Task PublishAsync_GenericEntryOnConcreteAndBaseClass_ReachesTheSameListeners()
    {
        var dispatcher = new EventDispatcher();
        EventDispatcherBase baseTyped = dispatcher;

        await dispatcher.PublishAsync<OrderPlaced>(new OrderPlaced(1));
        await baseTyped.PublishAsync<OrderPlaced>(new OrderPlaced(2));
        await baseTyped.PublishAsync<IDomainEvent>(new OrderPlaced(3));
        await dispatcher.PublishAsync<object>(new OrderPlaced(4));

        Assert.Equal(
            new[] { "domain:OrderPlaced:shop", "audit:1", "domain:OrderPlaced:shop", "audit:2", "domain:OrderPlaced:shop", "audit:3", "domain:OrderPlaced:shop", "audit:4" },
            _journal.Entries);
    }

    [Fact]
    public async Task PublishAsync_DerivedEventThroughBaseTypedEntry_ReachesBaseAndInterfaceListeners()
    {
        var dispatcher = new EventDispatcher();

        await dispatcher.PublishAsync((ItemShipped)new ExpressItemShipped("sku-1"));

        Assert.Equal(new[] { "domain:ExpressItemShipped:warehouse", "shipping:sku-1" }, _journal.Entries);
    }

    [Fact]
    public async Task PublishAsync_StructEventWithExplicitImplementation_IsDelivered()
    {
        var dispatcher = new EventDispatcher();

        await dispatcher.PublishAsync(new Tick(5));
        await dispatcher.PublishAsync<Tick>(new Tick(6));
        await dispatcher.PublishAsync((object)new Tick(7));

        Assert.Equal(new[] { "tick:5", "tick:6", "tick:7" }, _journal.Entries);
    }

    [Fact]
    public async Task PublishAsync_TypeUnknownAtCompileTime_UsesBaseTypeListeners()
    {
        var dispatcher = new EventDispatcher();

        await dispatcher.PublishAsync((object)new GenericEvent<int>(1));

        Assert.Equal(new[] { "domain:GenericEvent`1:generic" }, _journal.Entries);
        var route = dispatcher.GetRoute(typeof(GenericEvent<int>));
        Assert.NotNull(route);
        Assert.Equal(typeof(DomainEventLog), Assert.Single(route!.Listeners).ListenerType);
    }

    [Fact]
    public async Task PublishAsync_ListenerThrowsSynchronously_OthersRunAndFailureIsReported()
    {
        var dispatcher = new EventDispatcher();

        var error = await Assert.ThrowsAsync<EventPublishException>(() => dispatcher.PublishAsync(new FailingEvent("sync")).AsTask());

        Assert.Equal(new[] { "A", "B", "C" }, _journal.Entries);
        var failure = Assert.Single(error.Failures);
        Assert.Equal(typeof(FailingA), failure.Listener.ListenerType);
        Assert.IsType<InvalidOperationException>(failure.Exception);
        Assert.Contains("FailingEvent", error.Message);
        Assert.Contains("EventRouter.Tests.Publish.FailingA", error.Message);
        Assert.Equal(error.EventName, typeof(FailingEvent).FullName);
    }

    [Fact]
    public async Task PublishAsync_ListenersFaultAsynchronously_AllFailuresReportedInOrder()
    {
        var dispatcher = new EventDispatcher();

        var error = await Assert.ThrowsAsync<EventPublishException>(() => dispatcher.PublishAsync(new FailingEvent("async")).AsTask());

        Assert.Equal(new[] { "A", "B", "C" }, _journal.Entries);
        Assert.Equal(new[] { typeof(FailingA), typeof(FailingC) }, error.Failures.Select(f => f.Listener.ListenerType));
        Assert.IsType<TimeoutException>(error.InnerExceptions[0]);
        Assert.IsType<ArgumentException>(error.InnerExceptions[1]);
    }

    [Fact]
    public async Task PublishAsync_SequentialWithAsyncListener_WaitsBeforeNextListener()
    {
        var dispatcher = new EventDispatcher();

        await dispatcher.PublishAsync(new SlowEvent(1));

        Assert.Equal(new[] { "slow-1-start", "slow-1-end", "slow-2" }, _journal.Entries);
    }

    [Fact]
    public async Task PublishAsync_ConcurrentMode_StartsAllListenersBeforeAwaiting()
    {
        var dispatcher = new EventDispatcher(new EventRouterOptions { PublishMode = PublishMode.Concurrent });

        // The first listener waits for the second; sequential publish would never finish.
        await dispatcher.PublishAsync(new GatedEvent(new TaskCompletionSource())).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(new[] { "gate-opened", "gate-passed" }, _journal.Entries);
    }

    [Fact]
    public async Task PublishAsync_SequentialMode_DoesNotStartNextListenerEarly()
    {
        var dispatcher = new EventDispatcher();
        using var cts = new CancellationTokenSource();
        var gate = new TaskCompletionSource();

        var publish = dispatcher.PublishAsync(new GatedEvent(gate), cts.Token).AsTask();
        Assert.False(publish.IsCompleted);
        Assert.Empty(_journal.Entries);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publish);
        Assert.Empty(_journal.Entries);
    }

    [Fact]
    public async Task PublishAsync_ConcurrentMode_ReportsEveryFailure()
    {
        var dispatcher = new EventDispatcher(new EventRouterOptions { PublishMode = PublishMode.Concurrent });

        var error = await Assert.ThrowsAsync<EventPublishException>(() => dispatcher.PublishAsync(new FailingEvent("async")).AsTask());

        Assert.Equal(2, error.Failures.Count);
    }

    [Fact]
    public void PublishAsync_NullEvent_ThrowsArgumentNullOnEveryEntry()
    {
        var dispatcher = new EventDispatcher();

        Assert.Throws<ArgumentNullException>(() => dispatcher.PublishAsync((OrderPlaced)null!));
        Assert.Throws<ArgumentNullException>(() => dispatcher.PublishAsync<OrderPlaced>(null!));
        Assert.Throws<ArgumentNullException>(() => dispatcher.PublishAsync((object)null!));
    }

    [Fact]
    public async Task PublishAsync_NoListenerWithThrowPolicy_ThrowsNoListenerException()
    {
        var dispatcher = new EventDispatcher(new EventRouterOptions { NoListenerPolicy = NoListenerPolicy.Throw });

        var known = await Assert.ThrowsAsync<NoListenerException>(() => dispatcher.PublishAsync(new Unheard(1)).AsTask());
        var unknown = await Assert.ThrowsAsync<NoListenerException>(() => dispatcher.PublishAsync((object)new Version(1, 0)).AsTask());

        Assert.Equal("tests.unheard", known.EventName);
        Assert.Equal(typeof(Version), unknown.EventType);
    }

    [Fact]
    public async Task PublishAsync_NoListenerWithIgnorePolicy_CompletesQuietly()
    {
        var logs = new LogCapture();
        var dispatcher = new EventDispatcher(new EventRouterOptions { NoListenerPolicy = NoListenerPolicy.Ignore, LoggerFactory = logs });

        await dispatcher.PublishAsync(new Unheard(1));

        Assert.Empty(logs.Entries);
    }

    [Fact]
    public async Task PublishAsync_NoListenerWithLogPolicy_LogsWarningWithEventName()
    {
        var logs = new LogCapture();
        var dispatcher = new EventDispatcher(new EventRouterOptions { LoggerFactory = logs });

        await dispatcher.PublishAsync(new Unheard(1));

        var message = Assert.Single(logs.Entries);
        Assert.Equal(LogLevel.Warning, message.Level);
        Assert.Contains("tests.unheard", message.Message);
    }

    [Fact]
    public void PublishAsync_SingletonListenersCompletingSynchronously_AllocatesNothing()
    {
        var dispatcher = new EventDispatcher();
        IEventPublisher publisher = dispatcher;
        EventDispatcherBase baseTyped = dispatcher;
        var ping = new Ping(1);
        object boxed = ping;
        var allocated = Allocations.OnThisThread(_ =>
        {
            var a = dispatcher.PublishAsync(ping);
            var b = publisher.PublishAsync(ping);
            var c = dispatcher.PublishAsync(boxed);
            var d = dispatcher.PublishAsync<Ping>(ping);
            var e = baseTyped.PublishAsync<Ping>(ping);
            Assert.True(a.IsCompletedSuccessfully && b.IsCompletedSuccessfully && c.IsCompletedSuccessfully);
            Assert.True(d.IsCompletedSuccessfully && e.IsCompletedSuccessfully);
        });

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void PublishAsync_SingletonListenersCompletingSynchronously_CompletesSynchronously()
    {
        var dispatcher = new EventDispatcher();

        Assert.True(dispatcher.PublishAsync(new Ping(1)).IsCompletedSuccessfully);
        Assert.True(dispatcher.PublishAsync(new OrderPlaced(1)).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task PublishAsync_ListenerWithoutParameterlessConstructorAndNoDi_ReportsClearError()
    {
        var dispatcher = new EventDispatcher();

        var error = await Assert.ThrowsAsync<EventPublishException>(() => dispatcher.PublishAsync(new NeedsClockEvent(1)).AsTask());

        var inner = Assert.IsType<InvalidOperationException>(Assert.Single(error.Failures).Exception);
        Assert.Contains("ClockListener", inner.Message);
        Assert.Contains("ListenerFactory", inner.Message);
    }

    [Fact]
    public async Task PublishAsync_ListenerFactory_CreatesListenersWithoutDi()
    {
        var dispatcher = new EventDispatcher(new EventRouterOptions
        {
            ListenerFactory = type => type == typeof(ClockListener) ? new ClockListener(new Clock()) : throw new InvalidOperationException(),
        });

        await dispatcher.PublishAsync(new NeedsClockEvent(3));

        Assert.Equal(new[] { "clock:12:00:3" }, _journal.Entries);
    }

    [Fact]
    public void Routes_DescribeEveryEventWithNamesAndListeners()
    {
        var dispatcher = new EventDispatcher();

        var order = Assert.Single(dispatcher.Routes, r => r.EventType == typeof(OrderPlaced));
        Assert.Equal("tests.order-placed", order.EventName);
        Assert.Equal(new[] { typeof(DomainEventLog), typeof(OrderAudit) }, order.Listeners.Select(l => l.ListenerType));
        Assert.Contains(dispatcher.Routes, r => r.EventType == typeof(ExpressItemShipped));
        Assert.Equal(dispatcher.Routes.Select(r => r.EventType.FullName).OrderBy(n => n, StringComparer.Ordinal), dispatcher.Routes.Select(r => r.EventType.FullName));
    }

    [Fact]
    public void Route_EventIdAndPartitionKey_ComeFromAttributedMembers()
    {
        var dispatcher = new EventDispatcher();
        var id = Guid.NewGuid();
        var route = dispatcher.GetRoute(typeof(KeyedEvent))!;

        Assert.Equal(id.ToString(), route.GetEventId(new KeyedEvent(id, "ada")));
        Assert.Equal("ada", route.GetPartitionKey(new KeyedEvent(id, "ada")));
        Assert.Null(dispatcher.GetRoute(typeof(OrderPlaced))!.GetEventId(new OrderPlaced(1)));
    }

    [Fact]
    public async Task Route_InvokeAsync_RunsOneListenerOnly()
    {
        var dispatcher = new EventDispatcher();
        var route = dispatcher.GetRoute(typeof(FailingEvent))!;

        await route.InvokeAsync(new FailingEvent("none"), 1, null, CancellationToken.None);

        Assert.Equal(new[] { "B" }, _journal.Entries);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => route.InvokeAsync(new FailingEvent("none"), 3, null, CancellationToken.None).AsTask());
    }
}

public sealed class DependencyInjectionTests
{
    private readonly Journal _journal = new();

    public DependencyInjectionTests() => Journal.Current.Value = _journal;

    [Fact]
    public async Task AddEventRouter_RegistersPublisherAndListenersWithTheirDependencies()
    {
        var services = new ServiceCollection().AddSingleton<Clock>().AddScoped<ScopedDependency>().AddEventRouter();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });

        var publisher = provider.GetRequiredService<IEventPublisher>();
        await publisher.PublishAsync(new NeedsClockEvent(9));

        Assert.Same(provider.GetRequiredService<EventDispatcher>(), publisher);
        Assert.Same(publisher, provider.GetRequiredService<EventDispatcherBase>());
        Assert.Equal(new[] { "clock:12:00:9" }, _journal.Entries);
    }

    [Fact]
    public async Task AddEventRouter_RegistersATypedPublisherPerEventType_TheDispatcherItself()
    {
        await using var provider = new ServiceCollection().AddSingleton<Clock>().AddScoped<ScopedDependency>().AddEventRouter()
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        var orders = provider.GetRequiredService<IEventPublisher<OrderPlaced>>();
        var ticks = provider.GetRequiredService<IEventPublisher<Tick>>();
        await orders.PublishAsync(new OrderPlaced(3));
        await ticks.PublishAsync(new Tick(4));

        Assert.Same(provider.GetRequiredService<EventDispatcher>(), orders);
        Assert.Same(orders, ticks);
        Assert.Null(provider.GetService<IEventPublisher<IDomainEvent>>()); // an interface has no route of its own
        Assert.Equal(new[] { "domain:OrderPlaced:shop", "audit:3", "tick:4" }, _journal.Entries);
    }

    [Fact]
    public async Task AddEventRouter_ScopedListener_GetsAScopePerPublishDisposedAfterIt()
    {
        var services = new ServiceCollection().AddEventRouter();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        var publisher = provider.GetRequiredService<IEventPublisher>();

        await publisher.PublishAsync(new KeyedEvent(Guid.NewGuid(), "a"));
        await publisher.PublishAsync(new KeyedEvent(Guid.NewGuid(), "b"));

        var entries = _journal.Entries;
        Assert.Equal(4, entries.Count);
        Assert.StartsWith("scoped:", entries[0]);
        Assert.Equal("disposed:" + entries[0].Split(':')[1], entries[1]);
        Assert.StartsWith("scoped:", entries[2]);
        Assert.NotEqual(entries[0].Split(':')[1], entries[2].Split(':')[1]);
    }

    [Fact]
    public async Task AddEventRouter_ScopedListenerWithConstructorDependency_IsResolvedFromTheScope()
    {
        var services = new ServiceCollection().AddScoped<ScopedDependency>().AddEventRouter();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });

        await provider.GetRequiredService<IEventPublisher>().PublishAsync(new ScopedDependencyEvent(5));

        Assert.Equal(new[] { "scoped-dep:True:5" }, _journal.Entries);
    }

    [Fact]
    public async Task AddEventRouter_ConfigureOptions_AppliesToDispatcher()
    {
        var services = new ServiceCollection().AddEventRouter(o => o.NoListenerPolicy = NoListenerPolicy.Throw);
        await using var provider = services.BuildServiceProvider();

        await Assert.ThrowsAsync<NoListenerException>(() => provider.GetRequiredService<IEventPublisher>().PublishAsync(new Unheard(1)).AsTask());
    }

    [Fact]
    public void AddEventRouter_SingletonListener_IsSharedWithTheContainer()
    {
        var services = new ServiceCollection().AddEventRouter();
        using var provider = services.BuildServiceProvider();
        var dispatcher = provider.GetRequiredService<EventDispatcher>();

        _ = dispatcher.PublishAsync(new Ping(1));

        Assert.Equal(1, provider.GetRequiredService<PingCounter>().Count);
    }
}
