using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;

namespace EventRouter.Benchmarks.RabbitMQ;

/// <summary>
/// <c>--profile bridge|raw [seconds]</c>: one side publishing (64 outstanding, no queue bound) in a loop, for a CPU
/// profiler to attach to (<c>dotnet-trace collect -- dotnet …dll --profile bridge 20</c>), with the runtime's
/// allocation samples (one per ~100 KB) grouped by type on stderr at the end.
/// </summary>
public static class ProfileMode
{
    public static int Run(string uri, string side, int seconds) => RunAsync(uri, side, seconds).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string uri, string side, int seconds)
    {
        await using var p = await PublishScenario.CreateAsync(uri);
        await p.SetDestinationAsync(durableQueue: false);
        const int Batch = 10_000;
        Func<Task> run = side == "raw" ? () => p.RawAsync(Batch, 64) : () => p.BridgeAsync(Batch, 64);
        await run(); // warm-up
        using var allocations = new AllocationSampler();
        var clock = Stopwatch.StartNew();
        var total = 0L;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            await run();
            total += Batch;
        }
        var rate = total / clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {side}: {total} publishes, {rate:F0} msg/s; load average {QuickMode.LoadAverage()}"));
        allocations.Print(total);
        return 0;
    }

    private sealed class AllocationSampler : EventListener
    {
        private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: GCAllocationTick
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true && e.Payload is { } payload && e.PayloadNames is { } names)
            {
                var type = payload[names.IndexOf("TypeName")] as string ?? "?";
                var amount = Convert.ToInt64(payload[names.IndexOf("AllocationAmount64")], CultureInfo.InvariantCulture);
                _bytes.AddOrUpdate(type, amount, (_, sum) => sum + amount);
            }
        }

        public void Print(long operations)
        {
            foreach (var (type, bytes) in _bytes.OrderByDescending(p => p.Value).Take(25))
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"#   {bytes / (double)operations,8:F1} B/op  {type}"));
            }
        }
    }
}
