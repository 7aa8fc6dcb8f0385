using System;
using System.Globalization;
using System.Threading.Tasks;
using static EventRouter.Benchmarks.QuickMeasure;

namespace EventRouter.Benchmarks.Peers;

/// <summary>
/// <c>--quick</c>: each peer comparison as interleaved rounds (see QuickMeasure), EventRouter's time over Mediator's
/// (lower is better), with the target it is held to; then bytes per publish of each side.
/// </summary>
internal static class PeerQuickMode
{
    public static int Run(string? only)
    {
        Only = only?.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var s = new Sides();

        // Through an injected interface: IEventPublisher<T> against IMediator.Publish.
        Compare("di-typed-1/mediator-imediator-1", n => { var p = s.RouterPing1; var e = s.Ping1; for (var i = 0; i < n; i++) Sides.Wait(p.PublishAsync(e)); }, MediatorInterface1(s), higherIsBetter: false, target: 0.7);
        // The generic entry of IEventPublisher: shown, no target of its own.
        Compare("di-generic-1/mediator-imediator-1", n => { var p = s.Publisher; var e = s.Ping1; for (var i = 0; i < n; i++) Sides.Wait(p.PublishAsync(e)); }, MediatorInterface1(s), higherIsBetter: false, target: double.NaN);
        // Concrete types on both sides: the generated typed overloads.
        Compare("typed-1/mediator-concrete-1", n => { var r = s.Router; var e = s.Ping1; for (var i = 0; i < n; i++) Sides.Wait(r.PublishAsync(e)); }, n => { var m = s.MediatorConcrete; var e = s.Ping1; for (var i = 0; i < n; i++) Sides.Wait(m.Publish(e)); }, higherIsBetter: false, target: 1.0);
        // The floor of typed-1 (stderr only): one listener call inside a try/catch, against Mediator and against ours.
        var guarded = new GuardedDirect();
        Compare("typed-1-floor/mediator-concrete-1", n => { var g = guarded; var e = s.Ping1; for (var i = 0; i < n; i++) Sides.Wait(g.PublishAsync(e)); }, n => { var m = s.MediatorConcrete; var e = s.Ping1; for (var i = 0; i < n; i++) Sides.Wait(m.Publish(e)); }, higherIsBetter: false, target: double.NaN, toStdout: false);
        Compare("typed-1/typed-1-floor", n => { var r = s.Router; var e = s.Ping1; for (var i = 0; i < n; i++) Sides.Wait(r.PublishAsync(e)); }, n => { var g = guarded; var e = s.Ping1; for (var i = 0; i < n; i++) Sides.Wait(g.PublishAsync(e)); }, higherIsBetter: false, target: double.NaN, toStdout: false);
        Compare("typed-10/mediator-concrete-10", n => { var r = s.Router; var e = s.Ping10; for (var i = 0; i < n; i++) Sides.Wait(r.PublishAsync(e)); }, n => { var m = s.MediatorConcrete; var e = s.Ping10; for (var i = 0; i < n; i++) Sides.Wait(m.Publish(e)); }, higherIsBetter: false, target: 1.0);
        // One truly asynchronous handler (await Task.Yield()), through the injected interfaces.
        Compare("async-1/mediator-async-1", RouterAsync(s), MediatorAsync(s), higherIsBetter: false, target: 1.0, sliceMs: 10, slices: 8);

        // The same through a handler that is pending until the benchmark's own thread completes it (stderr only):
        // what each side adds around one pending handler, without the thread-pool hop that dominates async-1.
        Compare("async-manual-1/mediator-async-manual-1", RouterManual(s), MediatorManual(s), higherIsBetter: false, target: double.NaN, toStdout: false);
        Alloc("async-manual-1", RouterManual(s), perThread: true, toStdout: false);
        Alloc("mediator-async-manual-1", MediatorManual(s), perThread: true, toStdout: false);

        Alloc("di-typed-1", n => { var p = s.RouterPing1; var e = s.Ping1; for (var i = 0; i < n; i++) Sides.Wait(p.PublishAsync(e)); }, perThread: true);
        Alloc("mediator-imediator-1", MediatorInterface1(s), perThread: true);
        if (Selected("async"))
        {
            var ours = BytesPerOp(RouterAsync(s));
            var theirs = BytesPerOp(MediatorAsync(s));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"alloc async-1 {ours:0.#} (target <= mediator's {theirs:0.#})"));
            // Thread-pool work items per publish: Task.Yield costs each side one; more on one side is a hop of its own.
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# async-1 thread-pool work items per publish: {WorkItemsPerOp(RouterAsync(s)):0.###}, mediator {WorkItemsPerOp(MediatorAsync(s)):0.###}"));
        }
        return 0;
    }

    private static Ops MediatorInterface1(Sides s) => n => { var m = s.Mediator; var e = s.Ping1; for (var i = 0; i < n; i++) Sides.Wait(m.Publish(e)); };

    private static Ops RouterManual(Sides s)
    {
        var p = s.RouterManualPing;
        var e = s.ManualPing;
        ValueTask publish = default;
        Action continuation = () => publish.GetAwaiter().GetResult();
        return n =>
        {
            for (var i = 0; i < n; i++)
            {
                publish = p.PublishAsync(e);
                Sides.PublishPendingThenComplete(publish, e.Completion, continuation);
            }
        };
    }

    private static Ops MediatorManual(Sides s)
    {
        var m = s.Mediator;
        var e = s.ManualPing;
        ValueTask publish = default;
        Action continuation = () => publish.GetAwaiter().GetResult();
        return n =>
        {
            for (var i = 0; i < n; i++)
            {
                publish = m.Publish(e);
                Sides.PublishPendingThenComplete(publish, e.Completion, continuation);
            }
        };
    }

    private static Ops RouterAsync(Sides s) => n => RunAsync(s.RouterAsyncPing, s.AsyncPing, n).GetAwaiter().GetResult();

    private static Ops MediatorAsync(Sides s) => n => RunAsync(s.Mediator, s.AsyncPing, n).GetAwaiter().GetResult();

    private static async Task RunAsync(IEventPublisher<AsyncPing> publisher, AsyncPing e, int n)
    {
        for (var i = 0; i < n; i++)
        {
            await publisher.PublishAsync(e);
        }
    }

    private static async Task RunAsync(global::Mediator.IMediator mediator, AsyncPing e, int n)
    {
        for (var i = 0; i < n; i++)
        {
            await mediator.Publish(e);
        }
    }

    /// <summary>Thread-pool work items completed per operation, after warm-up.</summary>
    private static double WorkItemsPerOp(Ops ops, int n = 20_000)
    {
        ops(n);
        var before = System.Threading.ThreadPool.CompletedWorkItemCount;
        ops(n);
        return (System.Threading.ThreadPool.CompletedWorkItemCount - before) / (double)n;
    }

    /// <summary>Bytes per operation on every thread (the continuations run on the thread pool), after warm-up.</summary>
    private static double BytesPerOp(Ops ops, int n = 20_000)
    {
        ops(n);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        ops(n);
        return (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)n;
    }
}
