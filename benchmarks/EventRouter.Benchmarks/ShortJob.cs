using System;
using System.Linq;
using System.Reflection;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace EventRouter.Benchmarks;

/// <summary>Runs the BenchmarkDotNet classes of an assembly with the job of this shared machine (shared by the suites).</summary>
public static class ShortJob
{
    public static int Run(Assembly assembly, string[] args)
    {
        // The default for this shared 2-core machine: short enough that the whole suite takes ~15 minutes; --full is BDN's default job.
        var job = args.Contains("--full")
            ? Job.Default
            : Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5).WithId("Short");
        // Builds take minutes on a busy 2-core machine; the default 2-minute build timeout is too short.
        var config = DefaultConfig.Instance.AddJob(job.AsDefault()).WithBuildTimeout(TimeSpan.FromMinutes(15));
        BenchmarkSwitcher.FromAssembly(assembly).Run(args.Where(a => a != "--full").ToArray(), config);
        return 0;
    }
}
