using System;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using EventRouter.Generated;
using MediatR;
using Microsoft.Extensions.DependencyInjection;

namespace EventRouter.Benchmarks;

/// <summary>
/// Everything the publish cases need, built once: the generated dispatcher (without and with DI), the hand-written
/// baselines, the locked-list baseline and MediatR 5.1.0. Shared by the BenchmarkDotNet classes and quick mode so that
/// both measure the same code.
/// </summary>
public sealed class Scenarios
{
    public readonly Ping1 Ping1 = new();
    public readonly Ping10 Ping10 = new();
    public readonly ParcelShipped Parcel = new();
    public readonly ScopedPing Scoped = new();
    public readonly YieldPing Yield = new();
    public readonly FilteredPing1 FilteredPing1 = new();

    /// <summary>A dispatcher with run-time subscriptions for other event types than the one it publishes.</summary>
    internal readonly EventDispatcher SubscribedRouter = new();

    /// <summary>The generated dispatcher, listeners created without DI (the singleton fast path).</summary>
    internal readonly EventDispatcher Router = new();

    /// <summary>The same dispatcher seen through its interface, as generic code would hold it.</summary>
    public readonly IEventPublisher Publisher;

    /// <summary>The generated dispatcher resolved from a ServiceProvider (for the scoped-listener case).</summary>
    internal readonly EventDispatcher DiRouter;

    public readonly IServiceProvider Services;
    public readonly DirectPublisher Direct = new();
    public readonly PrototypeDispatcher Prototype = new();
    public readonly NaiveLoopPublisher<Ping1> Naive1 = new(new P1Listener());
    public readonly NaiveLoopPublisher<Ping10> Naive10 = new(
        new P10Listener0(), new P10Listener1(), new P10Listener2(), new P10Listener3(), new P10Listener4(),
        new P10Listener5(), new P10Listener6(), new P10Listener7(), new P10Listener8(), new P10Listener9());
    public readonly NaiveLoopPublisher<YieldPing> NaiveYield = new(new YieldListener0(), new YieldListener1(), new YieldListener2());
    public readonly LockedListDispatcher LockedList1 = new();
    public readonly LockedListDispatcher LockedList10 = new();
    public readonly IMediator MediatR;

    public Scenarios()
    {
        Publisher = Router;
        SubscribedRouter.Subscribe<Ping10>(static (_, _) => default);
        SubscribedRouter.Subscribe<ParcelShipped>(static (_, _) => default);
        LockedList1.RegisterListener(new ObjectListener0());
        LockedList10.RegisterListener(new ObjectListener0());
        LockedList10.RegisterListener(new ObjectListener1());
        LockedList10.RegisterListener(new ObjectListener2());
        LockedList10.RegisterListener(new ObjectListener3());
        LockedList10.RegisterListener(new ObjectListener4());
        LockedList10.RegisterListener(new ObjectListener5());
        LockedList10.RegisterListener(new ObjectListener6());
        LockedList10.RegisterListener(new ObjectListener7());
        LockedList10.RegisterListener(new ObjectListener8());
        LockedList10.RegisterListener(new ObjectListener9());

        var services = new ServiceCollection();
        services.AddEventRouter();
        services.AddSingleton<INotificationHandler<Ping1>, MediatRPing1Handler>();
        services.AddSingleton<INotificationHandler<Ping10>, MediatRPing10Handler0>();
        services.AddSingleton<INotificationHandler<Ping10>, MediatRPing10Handler1>();
        services.AddSingleton<INotificationHandler<Ping10>, MediatRPing10Handler2>();
        services.AddSingleton<INotificationHandler<Ping10>, MediatRPing10Handler3>();
        services.AddSingleton<INotificationHandler<Ping10>, MediatRPing10Handler4>();
        services.AddSingleton<INotificationHandler<Ping10>, MediatRPing10Handler5>();
        services.AddSingleton<INotificationHandler<Ping10>, MediatRPing10Handler6>();
        services.AddSingleton<INotificationHandler<Ping10>, MediatRPing10Handler7>();
        services.AddSingleton<INotificationHandler<Ping10>, MediatRPing10Handler8>();
        services.AddSingleton<INotificationHandler<Ping10>, MediatRPing10Handler9>();
        var provider = services.BuildServiceProvider();
        Services = provider;
        DiRouter = provider.GetRequiredService<EventDispatcher>();
        MediatR = new Mediator(provider.GetService);
    }

    /// <summary>Consumes a ValueTask: free when it completed synchronously, blocks otherwise (the Yield case).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Wait(ValueTask task)
    {
        if (task.IsCompletedSuccessfully)
        {
            return;
        }
        task.AsTask().GetAwaiter().GetResult();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Wait(Task task)
    {
        if (task.IsCompletedSuccessfully)
        {
            return;
        }
        task.GetAwaiter().GetResult();
    }
}
