using System;
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

        var cold = Enumerable.Range(0, 5).Select(_ => Measure(() => SyntheticProject.NewDriver(generator, trackSteps: false).RunGenerators(compilation.Clone()))).ToList();
        var edit = Enumerable.Range(0, 5).Select(_ => Measure(() => driver.RunGenerators(edited.Clone()))).ToList();
        var listenerEdit = Enumerable.Range(0, 5).Select(_ => Measure(() => driver.RunGenerators(listenerEdited.Clone()))).ToList();
        Console.WriteLine($"cold (new driver, fresh compilation), 5 runs: {string.Join(", ", cold.Select(t => $"{t:F0} ms"))}");
        Console.WriteLine($"unrelated edit (driver that already ran), 5 runs: {string.Join(", ", edit.Select(t => $"{t:F1} ms"))}");
        Console.WriteLine($"edit inside one listener's method (driver that already ran), 5 runs: {string.Join(", ", listenerEdit.Select(t => $"{t:F1} ms"))}");
        if (System.IO.File.Exists("/proc/loadavg"))
        {
            Console.WriteLine($"load average: {System.IO.File.ReadAllText("/proc/loadavg").Trim()}");
        }
        SyntheticProject.Describe(generator, compilation, edited, Console.Out);
        return 0;
    }

    private static double Measure(Action action)
    {
        var start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
}
