using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;

namespace EventRouter.Benchmarks;

/// <summary>
/// <c>--soak CASE [SECONDS]</c>: runs one channel or reactor case in a loop for a while, for a profiler to watch
/// (<c>dotnet-trace collect -- dotnet EventRouter.Benchmarks.dll --soak dispatch-loop 20</c>). Prints the operations
/// per second and the bytes allocated per operation (all threads) to stderr. Not a measurement to quote: quick mode
/// and BenchmarkDotNet are.
/// </summary>
public static class Soak
{
    public static int Run(string[] args)
    {
        var i = Array.IndexOf(args, "--soak");
        var name = i + 1 < args.Length ? args[i + 1] : "";
        var seconds = i + 2 < args.Length && double.TryParse(args[i + 2], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : 10;

        var cases = new Dictionary<string, Func<QuickMeasure.Ops>>(StringComparer.Ordinal)
        {
            ["dispatch-loop"] = () => new ChannelScenarios().DispatchLoop,
            ["raw-channel"] = () => new ChannelScenarios().RawChannelEvents,
            ["module-command"] = () => new ChannelScenarios().ModuleCommands,
            ["raw-channel-command"] = () => new ChannelScenarios().RawChannelCommands,
            ["module-request"] = () => new ChannelScenarios().ModuleRequestsContended,
            ["module-request-idle"] = () => new ChannelScenarios().ModuleRequestsIdle,
            ["echo"] = () => new ReactorScenarios().EchoOurs,
            ["echo-raw"] = () => new ReactorScenarios().EchoRaw,
            ["timers"] = () => new ReactorScenarios().LoopTimers,
            ["threading-timers"] = () => new ReactorScenarios().ThreadingTimers,
        };
        if (!cases.TryGetValue(name, out var create))
        {
            Console.Error.WriteLine($"--soak CASE [SECONDS]; CASE is one of: {string.Join(", ", cases.Keys)}");
            return 2;
        }
        var ops = create();
        var batch = name.Contains("timers", StringComparison.Ordinal) ? 1 : 1000;
        var end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        long done = 0;
        var bytes = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetTimestamp() < end)
        {
            ops(batch);
            done += batch;
        }
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        bytes = GC.GetTotalAllocatedBytes(precise: true) - bytes;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# soak {name}: {done} ops in {elapsed:F1} s, {done / elapsed:F0} ops/s, {bytes / (double)done:F2} B/op (all threads)"));
        return 0;
    }
}
