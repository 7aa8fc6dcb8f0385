using System;
using System.Linq;

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
        return ShortJob.Run(typeof(Program).Assembly, args);
    }
}
