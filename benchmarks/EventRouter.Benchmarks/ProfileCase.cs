using System;
using System.Diagnostics;

namespace EventRouter.Benchmarks;

/// <summary>
/// <c>--profile &lt;case&gt; [seconds]</c>: runs one channel case (or its raw baseline) in batches for the given time
/// (10 s by default) and prints the time per item, so that a sampling profiler sees only that path.
/// </summary>
public static class ProfileCase
{
    public static int Run(string[] args)
    {
        var at = Array.IndexOf(args, "--profile");
        var name = at + 1 < args.Length ? args[at + 1] : "";
        var seconds = at + 2 < args.Length && double.TryParse(args[at + 2], out var s) ? s : 10;
        var timers = name.EndsWith("timers-100k", StringComparison.Ordinal);
        var c = timers ? null : new ChannelScenarios();
        var r = timers ? new ReactorScenarios() : null;
        QuickMeasure.Ops? ops = name switch
        {
            "dispatch-loop" => c!.DispatchLoop,
            "raw-channel-events" => c!.RawChannelEvents,
            "module-command" => c!.ModuleCommands,
            "raw-channel-commands" => c!.RawChannelCommands,
            "module-request-idle" => c!.ModuleRequestsIdle,
            "module-request" => c!.ModuleRequestsContended,
            "timers-100k" => r!.LoopTimers,
            "threading-timers-100k" => r!.ThreadingTimers,
            _ => null,
        };
        if (ops is null)
        {
            Console.Error.WriteLine("--profile needs one of: dispatch-loop, raw-channel-events, module-command, raw-channel-commands, module-request-idle, module-request, timers-100k, threading-timers-100k");
            return 2;
        }
        var batch = timers ? 1 : 100_000;
        var items = timers ? ReactorScenarios.TimersPerBatch : batch;
        long total = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            ops(batch);
            total += items;
        }
        Console.WriteLine($"{name}: {clock.Elapsed.TotalMilliseconds * 1e6 / total:F1} ns per item over {total} items");
        return 0;
    }
}
