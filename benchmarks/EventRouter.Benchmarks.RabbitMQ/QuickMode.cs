using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;

namespace EventRouter.Benchmarks.RabbitMQ;

/// <summary>
/// <c>--quick</c>: each comparison runs as interleaved A/B rounds in this one process (one batch per side per round,
/// the order alternating) and prints the median of the per-round msg/s ratios (bridge / baseline, higher is better).
/// Stdout carries only the <c>ratio</c>/<c>alloc</c> lines; per-round ratios and absolute rates go to stderr.
/// </summary>
public static class QuickMode
{
    private const int Rounds = 5;

    /// <summary>One side: work outside the clock, then the timed batch.</summary>
    private readonly record struct Side(Func<Task> Prepare, Func<Task> Run);

    public static int Run(string uri) => RunAsync(uri).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string uri)
    {
        var total = Stopwatch.StartNew();
        await using (var p = await PublishScenario.CreateAsync(uri))
        {
            // Batches of about a second each: one publish at a time into a durable queue waits for the disk (~5 ms here).
            foreach (var (queue, outstanding, count) in new[] { (false, 1, 1000), (false, 64, 10_000), (true, 1, 200), (true, 64, 10_000) })
            {
                await p.SetDestinationAsync(queue);
                var bridge = new Side(p.PurgeAsync, () => p.BridgeAsync(count, outstanding));
                var raw = new Side(p.PurgeAsync, () => p.RawAsync(count, outstanding));
                var id = $"rabbitmq-publish-{outstanding}-{(queue ? "durable-queue" : "no-queue")}";
                await CompareAsync($"{id}/raw", bridge, raw, count, target: 0.8);
                if (!queue)
                {
                    await AllocAsync(id, bridge, raw, count);
                }
            }
        }

        const int N = EndToEndCases.Events;
        foreach (var (prefetch, concurrency) in new (ushort, ushort)[] { (32, 1), (100, 4) })
        {
            await using var e = await EndToEndScenario.CreateAsync(uri, N, prefetch, concurrency, raw: true, stores: [null]);
            var bridge = new Side(() => e.PrepareAsync(0), () => e.BridgeAsync(0));
            var raw = new Side(() => e.PrepareAsync(-1), e.RawAsync);
            await CompareAsync($"rabbitmq-e2e-p{prefetch}-c{concurrency}/raw", bridge, raw, N, target: null);
            if (prefetch == 100)
            {
                await AllocAsync($"rabbitmq-e2e-p{prefetch}-c{concurrency}", bridge, raw, N);
            }
        }

        await using (var d = await EndToEndScenario.CreateAsync(uri, N, 100, 4, raw: false, stores: [null, new NoOpIdempotencyStore()]))
        {
            var inMemory = new Side(() => d.PrepareAsync(0), () => d.BridgeAsync(0));
            var none = new Side(() => d.PrepareAsync(1), () => d.BridgeAsync(1));
            await CompareAsync("rabbitmq-e2e-p100-c4-inmemory-store/no-op-store", inMemory, none, N, target: null);
        }

        Console.Error.WriteLine($"# quick mode finished in {total.Elapsed.TotalSeconds:F1} s ({Rounds} interleaved rounds per comparison, median of per-round msg/s ratios); load average {LoadAverage()}");
        return 0;
    }

    private static async Task CompareAsync(string id, Side ours, Side baseline, int ops, double? target)
    {
        await TimeAsync(ours); // warm-up: JIT, connection buffers, queue processes
        await TimeAsync(baseline);
        var ratios = new List<double>(Rounds);
        var oursRates = new List<double>(Rounds);
        var baseRates = new List<double>(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            double o, b;
            if (round % 2 == 0)
            {
                o = await TimeAsync(ours);
                b = await TimeAsync(baseline);
            }
            else
            {
                b = await TimeAsync(baseline);
                o = await TimeAsync(ours);
            }
            ratios.Add(b / o);
            oursRates.Add(ops / o);
            baseRates.Add(ops / b);
        }
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {id}: {ops} per batch, per-round ratios {Join(ratios, "F2")}; msg/s ours {Join(oursRates, "F0")}, baseline {Join(baseRates, "F0")}; load average {LoadAverage()}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio {id} {Median(ratios):F2}{(target is { } t ? $" (target >= {t:0.0#})" : "")}"));
    }

    /// <summary>Bytes allocated in the whole process (client threads included) per operation, each side after its warm-up.</summary>
    private static async Task AllocAsync(string id, Side ours, Side baseline, int ops)
    {
        var o = await AllocatedAsync(ours);
        var b = await AllocatedAsync(baseline);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"alloc {id} bridge {o / ops:F0} raw {b / ops:F0} (bytes per message, whole process)"));
    }

    private static async Task<double> AllocatedAsync(Side side)
    {
        await side.Prepare();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await side.Run();
        return GC.GetTotalAllocatedBytes(precise: true) - before;
    }

    private static async Task<double> TimeAsync(Side side)
    {
        await side.Prepare();
        var start = Stopwatch.GetTimestamp();
        await side.Run();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = new List<double>(values);
        sorted.Sort();
        return sorted[sorted.Count / 2];
    }

    private static string Join(List<double> values, string format) =>
        string.Join(" ", values.ConvertAll(v => v.ToString(format, CultureInfo.InvariantCulture)));

    internal static string LoadAverage()
    {
        try
        {
            return string.Join(" ", System.IO.File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
        }
        catch (System.IO.IOException)
        {
            return "n/a";
        }
    }
}
