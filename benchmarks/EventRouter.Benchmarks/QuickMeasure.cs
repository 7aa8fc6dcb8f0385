using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;

namespace EventRouter.Benchmarks;

/// <summary>
/// How quick mode measures (shared by this suite and the peer suite): interleaved A/B rounds in one process, the
/// median of the per-round ratios printed on stdout as <c>ratio id value (target …)</c>, allocations as
/// <c>alloc id bytes</c>; progress on stderr.
/// </summary>
public static class QuickMeasure
{
    public const int Rounds = 9;
    public const int Slices = 16;

    /// <summary>One side of a comparison: runs <c>n</c> operations.</summary>
    public delegate void Ops(int n);

    /// <summary>Only comparisons whose id starts with one of these run (<c>--quick --only publish,direct</c>); null runs all.</summary>
    public static string[]? Only { get; set; }

    /// <summary>
    /// Runs interleaved rounds and prints the median of the per-round ratios. Within a round the two sides alternate
    /// in short slices and each side keeps its fastest slice: on a shared, overloaded machine a slice that was
    /// preempted only ever looks slower, so the minimum is the least disturbed estimate of both sides alike.
    /// The printed value is ours/baseline when lower is better, baseline/ours when higher is. A NaN target prints none.
    /// </summary>
    public static void Compare(string id, Ops ours, Ops baseline, bool higherIsBetter, double target, bool toStdout = true, double sliceMs = 2, int slices = Slices, int fixedN = 0)
    {
        if (!Selected(id))
        {
            return;
        }
        Warm(ours, fixedN);
        Warm(baseline, fixedN);
        var n = fixedN > 0 ? fixedN : Calibrate(baseline, sliceMs / 1000);
        var ratios = new List<double>(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            double oursTime = double.MaxValue, baseTime = double.MaxValue;
            for (var slice = 0; slice < slices; slice++)
            {
                if ((round + slice) % 2 == 0)
                {
                    oursTime = Math.Min(oursTime, Time(ours, n));
                    baseTime = Math.Min(baseTime, Time(baseline, n));
                }
                else
                {
                    baseTime = Math.Min(baseTime, Time(baseline, n));
                    oursTime = Math.Min(oursTime, Time(ours, n));
                }
            }
            ratios.Add(higherIsBetter ? baseTime / oursTime : oursTime / baseTime);
        }
        ratios.Sort();
        var median = ratios[ratios.Count / 2];
        Console.Error.WriteLine($"# {id}: n={n} per slice, per-round ratios {string.Join(" ", ratios.ConvertAll(r => r.ToString("F2", CultureInfo.InvariantCulture)))}");
        (toStdout ? Console.Out : Console.Error).WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(toStdout ? "" : "# ")}ratio {id} {median:F2}{(double.IsNaN(target) ? "" : $" (target {(higherIsBetter ? ">=" : "<=")} {target:0.0#})")}"));
    }

    /// <summary>Bytes allocated per operation, after warm-up; per thread for single-threaded paths.</summary>
    public static void Alloc(string id, Ops ops, bool perThread, int n = 100_000, bool toStdout = true)
    {
        if (!Selected(id))
        {
            return;
        }
        Warm(ops);
        var before = perThread ? GC.GetAllocatedBytesForCurrentThread() : GC.GetTotalAllocatedBytes(precise: true);
        ops(n);
        var after = perThread ? GC.GetAllocatedBytesForCurrentThread() : GC.GetTotalAllocatedBytes(precise: true);
        var perOp = (after - before) / (double)n;
        (toStdout ? Console.Out : Console.Error).WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(toStdout ? "" : "# ")}alloc {id} {(after == before ? "0" : perOp.ToString("0.##", CultureInfo.InvariantCulture))}"));
    }

    public static bool Selected(string id) => Only is null || Array.Exists(Only, p => id.StartsWith(p, StringComparison.Ordinal));

    /// <summary>True when some selected comparison may have an id starting with <paramref name="group"/> (so <c>--only module-command</c> sets up the module cases).</summary>
    public static bool AnySelected(string group) => Only is null || Array.Exists(Only, p => group.StartsWith(p, StringComparison.Ordinal) || p.StartsWith(group, StringComparison.Ordinal));

    /// <summary>Enough calls for tiered compilation to promote the loop to tier 1, with time for the background JIT.</summary>
    private static void Warm(Ops ops, int fixedN = 0)
    {
        if (fixedN > 0)
        {
            // Operations that are whole batches (100k timers): a few calls reach tier 1 through OSR/back-edges.
            for (var i = 0; i < 4; i++)
            {
                ops(fixedN);
            }
            return;
        }
        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i < 40; i++)
            {
                ops(200);
            }
            Thread.Sleep(120);
        }
        ops(10_000);
    }

    private static int Calibrate(Ops ops, double sliceSeconds)
    {
        // The fastest of a few trials, for the same reason as in Compare.
        var n = 16;
        while (true)
        {
            var t = double.MaxValue;
            for (var i = 0; i < 5; i++)
            {
                t = Math.Min(t, Time(ops, n));
            }
            if (t >= sliceSeconds / 4 || n >= 1 << 28)
            {
                return (int)Math.Max(1, Math.Min(int.MaxValue, n * (sliceSeconds / Math.Max(t, 1e-9))));
            }
            n *= 2;
        }
    }

    private static double Time(Ops ops, int n)
    {
        var start = Stopwatch.GetTimestamp();
        ops(n);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
