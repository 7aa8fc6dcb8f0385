using System;
using System.Linq;
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
        if (args.Contains("--quick"))
        {
            return QuickMode.Run(uri);
        }
        if (Array.IndexOf(args, "--profile") is var at and >= 0)
        {
            return ProfileMode.Run(uri, args.ElementAtOrDefault(at + 1) ?? "bridge", int.TryParse(args.ElementAtOrDefault(at + 2), out var s) ? s : 20);
        }

        // Every invocation is a whole batch (2,000 publishes or 10,000 events) that is set up and purged around it, so
        // one invocation per iteration. Short by default on the shared 2-core machine; --full for more iterations.
        var job = (args.Contains("--full")
                ? Job.Default.WithIterationCount(15).WithWarmupCount(5)
                : Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5).WithId("Short"))
            .WithInvocationCount(1).WithUnrollFactor(1);
        var config = DefaultConfig.Instance.AddJob(job.AsDefault()).WithBuildTimeout(TimeSpan.FromMinutes(15));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Where(a => a != "--full").ToArray(), config);
        return 0;
    }
}
