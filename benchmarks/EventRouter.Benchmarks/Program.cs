using System;
using System.Linq;
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
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
