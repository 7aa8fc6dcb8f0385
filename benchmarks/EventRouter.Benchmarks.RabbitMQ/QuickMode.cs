using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;

namespace EventRouter.Benchmarks.RabbitMQ;

/// <summary>
/// <c>--quick</c>: each comparison runs as interleaved A/B rounds in this one process and prints the median of the
/// per-round msg/s ratios (bridge / baseline, higher is better). Within a round the two sides alternate in short
/// batches ("slices") and each side keeps its fastest slice: on a shared, overloaded machine a slice that was
/// preempted only ever looks slower, so the minimum is the least disturbed estimate of both sides alike (the same
/// method as the in-process suite's quick mode). Stdout carries only the <c>ratio</c>/<c>alloc</c> lines; per-round
/// ratios and the fastest slices' absolute rates go to stderr.
/// </summary>
public static class QuickMode
{
    private const int Rounds = 5;

    /// <summary>End-to-end slices are shorter than BenchmarkDotNet's 10,000-event batches, to fit the time budget.</summary>
    private const int EndToEndSlice = 2000;

    /// <summary>One side: work outside the clock (purge, fresh ids, bindings), then the timed slice.</summary>
    private readonly record struct Side(Func<Task> Prepare, Func<Task> Run);

    public static int Run(string uri) => RunAsync(uri).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string uri)
    {
        var total = Stopwatch.StartNew();
        await using (var p = await PublishScenario.CreateAsync(uri))
        {
            // Slices of ~0.1-0.5 s here. One publish at a time into a durable queue waits for the disk (~5 ms).
            foreach (var (queue, outstanding, count, slices) in new[] { (false, 1, 300, 6), (false, 64, 3000, 6), (true, 1, 40, 4), (true, 64, 3000, 4) })
            {
                await p.SetDestinationAsync(queue);
                var bridge = new Side(p.PurgeAsync, () => p.BridgeAsync(count, outstanding));
                var raw = new Side(p.PurgeAsync, () => p.RawAsync(count, outstanding));
                var id = $"rabbitmq-publish-{outstanding}-{(queue ? "durable-queue" : "no-queue")}";
                await CompareAsync($"{id}/raw", bridge, raw, count, slices, target: 0.8);
                if (!queue)
                {
                    await AllocAsync(id, bridge, raw, count, slices: 4);
                }
            }
        }

        foreach (var (prefetch, concurrency) in new (ushort, ushort)[] { (32, 1), (100, 4) })
        {
            await using var e = await EndToEndScenario.CreateAsync(uri, EndToEndSlice, prefetch, concurrency, raw: true, stores: [null]);
            var bridge = new Side(() => e.PrepareAsync(0), () => e.BridgeAsync(0));
            var raw = new Side(() => e.PrepareAsync(-1), e.RawAsync);
            await CompareAsync($"rabbitmq-e2e-p{prefetch}-c{concurrency}/raw", bridge, raw, EndToEndSlice, slices: 3, target: null);
            if (prefetch == 100)
            {
                await AllocAsync($"rabbitmq-e2e-p{prefetch}-c{concurrency}", bridge, raw, EndToEndSlice, slices: 3);
            }
        }

        await using (var d = await EndToEndScenario.CreateAsync(uri, EndToEndSlice, 100, 4, raw: false, stores: [null, new NoOpIdempotencyStore()]))
        {
            var inMemory = new Side(() => d.PrepareAsync(0), () => d.BridgeAsync(0));
            var none = new Side(() => d.PrepareAsync(1), () => d.BridgeAsync(1));
            await CompareAsync("rabbitmq-e2e-p100-c4-inmemory-store/no-op-store", inMemory, none, EndToEndSlice, slices: 3, target: null);
        }

        await RemoteStreamAsync(uri);

        Console.Error.WriteLine($"# quick mode finished in {total.Elapsed.TotalSeconds:F1} s ({Rounds} rounds per comparison, median of per-round msg/s ratios of fastest slices); load average {LoadAverage()}");
        return 0;
    }

    /// <summary>Items/s of one remote module stream against the same items as one remote request each, awaited in turn.</summary>
    internal static async Task RemoteStreamAsync(string uri)
    {
        const int items = 500;
        await using var s = await ModuleStreamScenario.CreateAsync(uri, window: 32);
        var stream = new Side(() => Task.CompletedTask, () => s.StreamAsync(items));
        var requests = new Side(() => Task.CompletedTask, () => s.RequestsAsync(items));
        await CompareAsync("rabbitmq-module-stream-w32/requests", stream, requests, items, slices: 3, target: null);
    }

    private static async Task CompareAsync(string id, Side ours, Side baseline, int ops, int slices, double? target)
    {
        // Warm-up: two slices a side, then a pause for the background JIT to install tier-1 code.
        for (var i = 0; i < 2; i++)
        {
            await TimeAsync(ours);
            await TimeAsync(baseline);
        }
        await Task.Delay(200);
        var ratios = new List<double>(Rounds);
        var oursRates = new List<double>(Rounds);
        var baseRates = new List<double>(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            double o = double.MaxValue, b = double.MaxValue;
            for (var slice = 0; slice < slices; slice++)
            {
                if ((round + slice) % 2 == 0)
                {
                    o = Math.Min(o, await TimeAsync(ours));
                    b = Math.Min(b, await TimeAsync(baseline));
                }
                else
                {
                    b = Math.Min(b, await TimeAsync(baseline));
                    o = Math.Min(o, await TimeAsync(ours));
                }
            }
            ratios.Add(b / o);
            oursRates.Add(ops / o);
            baseRates.Add(ops / b);
        }
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {id}: {ops} per slice, {slices} slices a side per round, per-round ratios {Join(ratios, "F2")}; fastest-slice msg/s ours {Join(oursRates, "F0")}, baseline {Join(baseRates, "F0")}; load average {LoadAverage()}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio {id} {Median(ratios):F2}{(target is { } t ? $" (target >= {t:0.0#})" : "")}"));
    }

    /// <summary>Bytes allocated in the whole process (client threads included) per operation, each side after its warm-up.</summary>
    private static async Task AllocAsync(string id, Side ours, Side baseline, int opsPerSlice, int slices)
    {
        var o = await AllocatedAsync(ours, slices);
        var b = await AllocatedAsync(baseline, slices);
        var ops = (double)opsPerSlice * slices;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"alloc {id} bridge {o / ops:F0} raw {b / ops:F0} (bytes per message, whole process)"));
    }

    private static async Task<long> AllocatedAsync(Side side, int slices)
    {
        var bytes = 0L;
        for (var i = 0; i < slices; i++)
        {
            await side.Prepare();
            var before = GC.GetTotalAllocatedBytes(precise: true);
            await side.Run();
            bytes += GC.GetTotalAllocatedBytes(precise: true) - before;
        }
        return bytes;
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
