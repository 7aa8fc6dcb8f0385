using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace EventRouter.Benchmarks;

/// <summary>
/// <c>--generator-once</c>: the generator's first run in a fresh process (JIT-cold, what a command-line build pays),
/// then a few warm runs of both cases, with the caching check. Complements the BenchmarkDotNet numbers, which are
/// JIT-warm by design.
/// </summary>
public static class GeneratorOnce
{
    public static int Run()
    {
        var generator = SyntheticProject.LoadGenerator();
        var compilation = SyntheticProject.Create(listeners: 2000, events: 1000, files: 100);
        var edited = SyntheticProject.WithUnrelatedEdit(compilation);
        var listenerEdited = SyntheticProject.WithListenerEdit(compilation);

        var start = Stopwatch.GetTimestamp();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var driver = SyntheticProject.NewDriver(generator, trackSteps: false).RunGenerators(compilation);
        Console.WriteLine($"first run in process (JIT-cold): {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F0} ms, {(GC.GetAllocatedBytesForCurrentThread() - allocated) / 1048576.0:F1} MB allocated");

        var floor = new FloorGenerator();
        start = Stopwatch.GetTimestamp();
        SyntheticProject.NewDriver(floor, trackSteps: false).RunGenerators(compilation.Clone());
        Console.WriteLine($"floor generator, first run in process: {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F0} ms");

        // The two generators take turns, so a change of load touches both alike.
        var cold = new List<(double Wall, double Cpu)>();
        var floorCold = new List<(double Wall, double Cpu)>();
        for (var run = 0; run < 5; run++)
        {
            cold.Add(Measure(() => SyntheticProject.NewDriver(generator, trackSteps: false).RunGenerators(compilation.Clone())));
            floorCold.Add(Measure(() => SyntheticProject.NewDriver(floor, trackSteps: false).RunGenerators(compilation.Clone())));
        }
        var edit = Enumerable.Range(0, 5).Select(_ => Measure(() => driver.RunGenerators(edited.Clone()))).ToList();
        var listenerEdit = Enumerable.Range(0, 5).Select(_ => Measure(() => driver.RunGenerators(listenerEdited.Clone()))).ToList();
        Console.WriteLine($"cold (new driver, fresh compilation), 5 runs: {Format(cold)}");
        Console.WriteLine($"floor generator cold (attribute lookup and interfaces only), 5 runs: {Format(floorCold)}");
        Console.WriteLine($"unrelated edit (driver that already ran), 5 runs: {Format(edit)}");
        Console.WriteLine($"edit inside one listener's method (driver that already ran), 5 runs: {Format(listenerEdit)}");
        if (System.IO.File.Exists("/proc/loadavg"))
        {
            Console.WriteLine($"load average: {System.IO.File.ReadAllText("/proc/loadavg").Trim()}");
        }
        SyntheticProject.Describe(generator, compilation, edited, Console.Out);
        return 0;
    }

    /// <summary>
    /// Wall time and the calling thread's CPU time (the driver runs the generator on it). On a loaded machine the
    /// wall time includes waiting for a core; the thread's CPU time does not, so it is the figure to compare there.
    /// </summary>
    private static (double Wall, double Cpu) Measure(Action action)
    {
        var cpu = ThreadCpuMilliseconds();
        var start = Stopwatch.GetTimestamp();
        action();
        return (Stopwatch.GetElapsedTime(start).TotalMilliseconds, ThreadCpuMilliseconds() - cpu);
    }

    private static string Format(IEnumerable<(double Wall, double Cpu)> runs) =>
        string.Join(", ", runs.Select(r => double.IsNaN(r.Cpu) ? $"{r.Wall:F1} ms" : $"{r.Wall:F1} ms (thread CPU {r.Cpu:F1} ms)"));

    private static double ThreadCpuMilliseconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return double.NaN;
        }
        const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID
        return ClockGetTime(ThreadCpuClock, out var time) == 0 ? (time.Seconds * 1000.0) + (time.Nanoseconds / 1e6) : double.NaN;
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);
}
