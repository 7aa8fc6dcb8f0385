using System;
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
        RouterManualPing = services.GetRequiredService<IEventPublisher<ManualPing>>();
        Mediator = services.GetRequiredService<IMediator>();
        MediatorConcrete = services.GetRequiredService<global::Mediator.Mediator>();
    }

    public EventDispatcher Router { get; }

    public IEventPublisher Publisher { get; }

    public IEventPublisher<Ping1> RouterPing1 { get; }

    public IEventPublisher<AsyncPing> RouterAsyncPing { get; }

    public IEventPublisher<ManualPing> RouterManualPing { get; }

    public IMediator Mediator { get; }

    public global::Mediator.Mediator MediatorConcrete { get; }

    public Ping1 Ping1 { get; } = new(new Counter());

    public Ping10 Ping10 { get; } = new(new Counter());

    public AsyncPing AsyncPing { get; } = new(new Counter());

    public ManualPing ManualPing { get; } = new(new ManualCompletion());

    /// <summary>
    /// One publish whose handler is pending until this thread completes it, awaited as <c>await</c> would: the
    /// continuation registered first, then run by the completion.
    /// </summary>
    public static void PublishPendingThenComplete(ValueTask publish, ManualCompletion completion, Action continuation)
    {
        publish.GetAwaiter().UnsafeOnCompleted(continuation);
        completion.Complete();
    }

    /// <summary>Waits for a publish without allocating when it completed synchronously.</summary>
    public static void Wait(ValueTask task)
    {
        if (!task.IsCompletedSuccessfully)
        {
            task.AsTask().GetAwaiter().GetResult();
        }
    }
}

/// <summary>
/// The floor of a publish that keeps a synchronous throw from escaping: the same listener called directly inside one
/// <c>try</c>/<c>catch</c>, nothing else. .NET 10 does not inline a method with a <c>catch</c>, so this is a call
/// with an exception frame where Mediator's single-handler publish (which lets a handler's exception escape) inlines
/// into its caller.
/// </summary>
public sealed class GuardedDirect
{
    private readonly RouterPing1Listener _listener = new();

    public ValueTask PublishAsync(Ping1 e, System.Threading.CancellationToken ct = default)
    {
        ValueTask t;
        try { t = _listener.HandleAsync(e, ct); } catch (System.Exception ex) { t = ValueTask.FromException(ex); }
        return t.IsCompletedSuccessfully ? default : t;
    }
}
