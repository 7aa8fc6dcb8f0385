using System.Threading.Tasks;
using EventRouter.Generated;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace EventRouter.Benchmarks.Peers;

/// <summary>Both sides in one container, resolved once: what the benchmarks and quick mode call.</summary>
internal sealed class Sides
{
    public Sides()
    {
        var services = new ServiceCollection().AddEventRouter().AddMediator().BuildServiceProvider();
        Router = services.GetRequiredService<EventDispatcher>();
        Publisher = services.GetRequiredService<IEventPublisher>();
        RouterPing1 = services.GetRequiredService<IEventPublisher<Ping1>>();
        RouterAsyncPing = services.GetRequiredService<IEventPublisher<AsyncPing>>();
        Mediator = services.GetRequiredService<IMediator>();
        MediatorConcrete = services.GetRequiredService<global::Mediator.Mediator>();
    }

    public EventDispatcher Router { get; }

    public IEventPublisher Publisher { get; }

    public IEventPublisher<Ping1> RouterPing1 { get; }

    public IEventPublisher<AsyncPing> RouterAsyncPing { get; }

    public IMediator Mediator { get; }

    public global::Mediator.Mediator MediatorConcrete { get; }

    public Ping1 Ping1 { get; } = new(new Counter());

    public Ping10 Ping10 { get; } = new(new Counter());

    public AsyncPing AsyncPing { get; } = new(new Counter());

    /// <summary>Waits for a publish without allocating when it completed synchronously.</summary>
    public static void Wait(ValueTask task)
    {
        if (!task.IsCompletedSuccessfully)
        {
            task.AsTask().GetAwaiter().GetResult();
        }
    }
}
