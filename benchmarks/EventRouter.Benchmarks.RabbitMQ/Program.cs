using System;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace EventRouter.Benchmarks.RabbitMQ;

public static class Program
{
    private static string? _brokerUri;

    /// <summary>The broker of this run (also read by BenchmarkDotNet's child processes, which inherit the environment).</summary>
    public static string BrokerUri => _brokerUri ??= BenchTopology.FindUri()
        ?? throw new InvalidOperationException("no broker: set ER_RABBITMQ_URI or run `bash scripts/services/rabbitmq.sh start`");

    public static int Main(string[] args)
    {
        var (uri, reason) = BenchTopology.ProbeAsync().GetAwaiter().GetResult();
        if (uri is null)
        {
            // Not a failure: the suite needs a broker and says so, like the in-process suite skips nothing silently.
            Console.Error.WriteLine($"RabbitMQ benchmarks skipped: {reason}.");
            return 0;
        }
        _brokerUri = uri;
        Console.Error.WriteLine($"# broker {uri}");
        if (args.Contains("--streams"))
        {
            QuickMode.RemoteStreamAsync(uri).GetAwaiter().GetResult();
            return 0;
        }
        if (args.Contains("--quick"))
        {
            return QuickMode.Run(uri);
        }
        if (Array.IndexOf(args, "--profile") is var at and >= 0)
        {
            return ProfileMode.Run(uri, args.ElementAtOrDefault(at + 1) ?? "bridge", int.TryParse(args.ElementAtOrDefault(at + 2), out var s) ? s : 20);
        }

        // Every invocation is a whole batch (500 or 10,000 publishes, 10,000 events) that is set up and purged around
        // it, so one invocation per iteration. Default: one launch, 3 warm-up and 15 measured iterations (~15 minutes
        // here; with 5 iterations the spread on this shared 2-core machine swamped the differences); --full: BDN's
        // default launch count and iteration heuristics.
        var job = (args.Contains("--full")
                ? Job.Default
                : Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(15).WithId("Broker"))
            .WithInvocationCount(1).WithUnrollFactor(1);
        var config = DefaultConfig.Instance.AddJob(job.AsDefault())
            .AddColumn(StatisticColumn.Median) // robust to the preempted iterations of a loaded machine
            .WithBuildTimeout(TimeSpan.FromMinutes(15));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Where(a => a != "--full").ToArray(), config);
        return 0;
    }
}
