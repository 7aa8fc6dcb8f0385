using System;
using System.Linq;

namespace EventRouter.Benchmarks.Peers;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Contains("--quick"))
        {
            var only = Array.IndexOf(args, "--only") is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
            return PeerQuickMode.Run(only);
        }
        return ShortJob.Run(typeof(Program).Assembly, args);
    }
}
