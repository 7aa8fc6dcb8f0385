using System;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Environments;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace EventRouter.Benchmarks;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Contains("--quick"))
        {
            return QuickMode.Run();
        }

        // BenchmarkDotNet 0.14.0 predates .NET 10: without an explicit runtime it cannot tell which runtime it runs
        // on, and the disassembly diagnoser refuses to start. Name the runtime explicitly.
        var net10 = CoreRuntime.CreateForNewVersion("net10.0", ".NET 10.0");
        var job = args.Contains("--full")
            ? Job.Default.WithRuntime(net10)
            // The default for this shared 2-core machine: short enough that the whole suite takes ~15 minutes.
            : Job.Default.WithRuntime(net10).WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5).WithId("Short");
        var config = DefaultConfig.Instance.AddJob(job.AsDefault());
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Where(a => a != "--full").ToArray(), config);
        return 0;
    }
}
