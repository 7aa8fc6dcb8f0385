using System;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace EventRouter.Benchmarks;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Contains("--quick"))
        {
            // --only <prefix>: just the comparisons whose id starts with it (e.g. "publish"), for quick iteration.
            var only = Array.IndexOf(args, "--only") is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
            return QuickMode.Run(only);
        }
        if (args.Contains("--soak"))
        {
            return Soak.Run(args);
        }
        if (args.Contains("--loop-split"))
        {
            return LoopSplit.Run();
        }
        if (args.Contains("--generator-once"))
        {
            return GeneratorOnce.Run();
        }

        // BenchmarkDotNet 0.14.0 predates .NET 10: it runs it fine but cannot name it, and its disassembly diagnoser
        // refuses to start (and an explicit runtime trips its SDK validator). Disassembly for docs/benchmarks.md was
        // taken with the runtime's own DOTNET_JitDisasm instead.
        // The default for this shared 2-core machine: short enough that the whole suite takes ~15 minutes.
        var job = args.Contains("--full")
            ? Job.Default
            : Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5).WithId("Short");
        // Builds take minutes on a busy 2-core machine; the default 2-minute build timeout is too short.
        var config = DefaultConfig.Instance.AddJob(job.AsDefault()).WithBuildTimeout(TimeSpan.FromMinutes(15));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Where(a => a != "--full").ToArray(), config);
        return 0;
    }
}
