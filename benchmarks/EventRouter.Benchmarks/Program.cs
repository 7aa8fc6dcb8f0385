using System;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Environments;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.CsProj;
using BenchmarkDotNet.Toolchains.DotNetCli;

namespace EventRouter.Benchmarks;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Contains("--quick"))
        {
            return QuickMode.Run();
        }

        // The default for this shared 2-core machine: short enough that the whole suite takes ~15 minutes.
        var job = args.Contains("--full")
            ? Job.Default
            : Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5).WithId("Short");
        if (args.Contains("--disasm"))
        {
            // BenchmarkDotNet 0.14.0 predates .NET 10 and does not recognise it as a runtime, so its disassembly
            // diagnoser refuses to run. Declare the runtime as .NET 9 (which it knows) and build for net10.0 with an
            // explicit toolchain: the code measured and disassembled is .NET 10's.
            job = job.WithRuntime(CoreRuntime.Core90)
                .WithToolchain(CsProjCoreToolchain.From(new NetCoreAppSettings("net10.0", null, ".NET 10.0")));
        }
        var config = DefaultConfig.Instance.AddJob(job.AsDefault());
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Where(a => a != "--full").ToArray(), config);
        return 0;
    }
}
