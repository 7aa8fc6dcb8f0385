using System;
using System.Diagnostics;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace EventRouter.Benchmarks.Durability;

public static class Program
{
    /// <summary>
    /// Default: BenchmarkDotNet with a short job (one launch, 2 warm-up and 5 measured iterations, one invocation each).
    /// --full: BenchmarkDotNet's defaults. --quick: a plain timed run that also reports commits (disk flushes) per event.
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Contains("--quick"))
        {
            return Quick();
        }
        var job = args.Contains("--full")
            ? Job.Default
            : Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(5).WithInvocationCount(1).WithUnrollFactor(1).WithId("Short");
        var config = DefaultConfig.Instance.AddJob(job.AsDefault()).AddColumn(StatisticColumn.Median);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Where(a => a != "--full").ToArray(), config);
        return 0;
    }

    private static int Quick()
    {
        var bench = new DurableEnqueueBenchmarks { Events = 2000, Producers = 64 };
        bench.Setup();
        try
        {
            for (var round = 0; round < 3; round++)
            {
                var clock = Stopwatch.StartNew();
                bench.RawBatchedInserts().GetAwaiter().GetResult();
                var raw = clock.Elapsed;
                bench.Clear();

                bench.NewLoop();
                var commits = bench.Commits;
                clock.Restart();
                bench.DurableEnqueue().GetAwaiter().GetResult();
                var durable = clock.Elapsed;
                var flushes = bench.Commits - commits;
                bench.Clear();

                Console.WriteLine(
                    $"round {round}: raw {bench.Events / raw.TotalSeconds:0} events/s ({(double)((bench.Events + bench.Producers - 1) / bench.Producers) / bench.Events:0.000} commits/event); " +
                    $"durable {bench.Events / durable.TotalSeconds:0} events/s ({(double)flushes / bench.Events:0.000} commits/event); ratio {raw.TotalSeconds / durable.TotalSeconds:0.00}x");
            }
        }
        finally
        {
            bench.Cleanup();
        }
        return 0;
    }
}
