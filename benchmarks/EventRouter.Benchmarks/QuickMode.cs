using System;
using System.Diagnostics;
using static EventRouter.Benchmarks.QuickMeasure;

namespace EventRouter.Benchmarks;

/// <summary>
/// <c>--quick</c>: each comparison runs as interleaved A/B rounds in this one process and prints the median of the
/// per-round ratios, so that slow drift of a shared machine hits both sides of a round alike. Stdout carries only
/// the <c>ratio</c>/<c>alloc</c> lines; progress goes to stderr.
/// </summary>
public static class QuickMode
{
    // Compare, Alloc and Selected are QuickMeasure's, shared with the peer suite.
    public static int Run(string? only = null)
    {
        QuickMeasure.Only = only?.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var total = Stopwatch.StartNew();
        var s = new Scenarios();

        // Latency/cost comparisons: ours/baseline, lower is better.
        Compare("publish-1-typed/direct", Typed1(s), Direct1(s), higherIsBetter: false, target: 1.5);
        Compare("publish-10-typed/direct", Typed10(s), Direct10(s), higherIsBetter: false, target: 1.3);
        Compare("publish-1-generic/direct", n => { var r = s.Router; var e = s.Ping1; for (var i = 0; i < n; i++) Scenarios.Wait(r.PublishAsync<Ping1>(e)); }, Direct1(s), higherIsBetter: false, target: 2.0);
        Compare("publish-1-object/direct", n => { var r = s.Router; object e = s.Ping1; for (var i = 0; i < n; i++) Scenarios.Wait(r.PublishAsync(e)); }, Direct1(s), higherIsBetter: false, target: 3.0);
        Compare("publish-1-typed-filtered/direct", Filtered1(s), Direct1(s), higherIsBetter: false, target: 1.5);
        Compare("publish-1-typed-with-unused-subscriptions/direct", UnusedSubscriptions1(s), Direct1(s), higherIsBetter: false, target: 1.5);
        // stderr only: the generic entry through IEventPublisher, one generic virtual call more.
        Compare("publish-1-generic-interface/direct", n => { var r = s.Publisher; var e = s.Ping1; for (var i = 0; i < n; i++) Scenarios.Wait(r.PublishAsync<Ping1>(e)); }, Direct1(s), higherIsBetter: false, target: double.NaN, toStdout: false);
        // stderr only: what a filter and unrelated subscriptions add to the same typed publish.
        Compare("publish-1-typed-filtered/publish-1-typed", Filtered1(s), Typed1(s), higherIsBetter: false, target: double.NaN, toStdout: false);
        Compare("publish-1-typed-with-unused-subscriptions/publish-1-typed", UnusedSubscriptions1(s), Typed1(s), higherIsBetter: false, target: double.NaN, toStdout: false);
        // Printed as locked-list-time/our-time: higher is better.
        Compare("locked-list-10/publish-10-typed", Typed10(s), n => { var d = s.LockedList10; var e = s.Ping10; for (var i = 0; i < n; i++) Scenarios.Wait(d.DispatchAsync(e)); }, higherIsBetter: true, target: 2.5);

        // stderr only: the hand-written prototype of a faster publish path (Prototype.cs).
        Compare("prototype-publish-1/direct", n => { var r = s.Prototype; var e = s.Ping1; for (var i = 0; i < n; i++) Scenarios.Wait(r.PublishAsync(e)); }, Direct1(s), higherIsBetter: false, target: 1.5, toStdout: false);
        Compare("prototype-publish-10/direct", n => { var r = s.Prototype; var e = s.Ping10; for (var i = 0; i < n; i++) Scenarios.Wait(r.PublishAsync(e)); }, Direct10(s), higherIsBetter: false, target: 1.3, toStdout: false);

        // stderr only: how much of the gap is the per-listener try/catch that publish promises.
        Ops guarded1 = n => { var d = s.Direct; var e = s.Ping1; for (var i = 0; i < n; i++) Scenarios.Wait(d.PublishGuardedAsync(e)); };
        Ops guarded10 = n => { var d = s.Direct; var e = s.Ping10; for (var i = 0; i < n; i++) Scenarios.Wait(d.PublishGuardedAsync(e)); };
        Compare("direct-guarded-1/direct", guarded1, Direct1(s), higherIsBetter: false, target: 1.5, toStdout: false);
        Compare("direct-guarded-10/direct", guarded10, Direct10(s), higherIsBetter: false, target: 1.3, toStdout: false);
        Compare("publish-1-typed/direct-guarded", Typed1(s), guarded1, higherIsBetter: false, target: 1.5, toStdout: false);
        Compare("publish-10-typed/direct-guarded", Typed10(s), guarded10, higherIsBetter: false, target: 1.3, toStdout: false);

        Alloc("publish-1-typed", Typed1(s), perThread: true);
        Alloc("publish-10-typed", Typed10(s), perThread: true);

        if (!AnySelected("dispatch-loop") && !AnySelected("module") && !AnySelected("echo") && !AnySelected("timers"))
        {
            Console.Error.WriteLine($"# quick mode (--only {only}) finished in {total.Elapsed.TotalSeconds:F1} s");
            return 0;
        }

        // Throughput: printed as raw-time/our-time per item, higher is better.
        // Thread hops make these noisier per item: longer slices (10 ms), fewer of them.
        var c = new ChannelScenarios();
        Compare("dispatch-loop/raw-channel", c.DispatchLoop, c.RawChannelEvents, higherIsBetter: true, target: 0.8, sliceMs: 10, slices: 8);
        // Latency/cost: our-time/raw-time per request, lower is better.
        Compare("module-request/raw-channel-pooled", c.ModuleRequestsContended, c.RawRequestsContended, higherIsBetter: false, target: 1.3, sliceMs: 10, slices: 8);
        // Commands have no target of their own; the dispatch loop's channel-throughput target (>= 0.8) stands in.
        Compare("module-command/raw-channel", c.ModuleCommands, c.RawChannelCommands, higherIsBetter: true, target: 0.8, sliceMs: 10, slices: 8);
        Compare("module-request-idle/raw-channel-pooled", c.ModuleRequestsIdle, c.RawRequestsIdle, higherIsBetter: false, target: 0.25, sliceMs: 10, slices: 8);
        Alloc("dispatch-loop-event", c.DispatchLoop, perThread: false);
        Alloc("module-request", c.ModuleRequestsContended, perThread: false);

        var r = new ReactorScenarios();
        // Throughput: printed as raw-time/our-time per message (the msg/s ratio), higher is better.
        Compare("echo-100/raw-socket", r.EchoOurs, r.EchoRaw, higherIsBetter: true, target: 0.9, sliceMs: 20, slices: 4);
        // One batch = 100k timers armed then cancelled; our-time/baseline-time, lower is better.
        Compare("timers-100k/threading-timer", r.LoopTimers, r.ThreadingTimers, higherIsBetter: false, target: 0.5, slices: 3, fixedN: 1);
        Alloc("echo-message", r.EchoOurs, perThread: false, n: 20_000);
        // stderr only: the same client against the raw echo server, to separate client from server allocations.
        Alloc("echo-message-raw-server", r.EchoRaw, perThread: false, n: 20_000, toStdout: false);

        Console.Error.WriteLine($"# quick mode finished in {total.Elapsed.TotalSeconds:F1} s ({QuickMeasure.Rounds} rounds x {QuickMeasure.Slices} slices per comparison, median of per-round ratios of fastest slices)");
        return 0;
    }

    private static Ops Direct1(Scenarios s) => n => { var d = s.Direct; var e = s.Ping1; for (var i = 0; i < n; i++) Scenarios.Wait(d.PublishAsync(e)); };

    private static Ops Direct10(Scenarios s) => n => { var d = s.Direct; var e = s.Ping10; for (var i = 0; i < n; i++) Scenarios.Wait(d.PublishAsync(e)); };

    private static Ops Typed1(Scenarios s) => n => { var r = s.Router; var e = s.Ping1; for (var i = 0; i < n; i++) Scenarios.Wait(r.PublishAsync(e)); };

    private static Ops Filtered1(Scenarios s) => n => { var r = s.Router; var e = s.FilteredPing1; for (var i = 0; i < n; i++) Scenarios.Wait(r.PublishAsync(e)); };

    private static Ops UnusedSubscriptions1(Scenarios s) => n => { var r = s.SubscribedRouter; var e = s.Ping1; for (var i = 0; i < n; i++) Scenarios.Wait(r.PublishAsync(e)); };

    private static Ops Typed10(Scenarios s) => n => { var r = s.Router; var e = s.Ping10; for (var i = 0; i < n; i++) Scenarios.Wait(r.PublishAsync(e)); };
}
