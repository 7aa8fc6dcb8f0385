using System;

namespace EventRouter.Tests.Infrastructure;

/// <summary>The one allocation measurement of the test projects: bytes allocated on the calling thread.</summary>
internal static class Allocations
{
    /// <summary>
    /// Runs <paramref name="warmUp"/> (default: <paramref name="body"/>) <paramref name="warmUps"/> times — JIT tiers,
    /// lazily created singletons and pools allocate once —, then <paramref name="body"/> <paramref name="iterations"/>
    /// times, and returns what this thread allocated during the second loop only.
    /// </summary>
    public static long OnThisThread(Action<int> body, int iterations = 1000, int warmUps = 100, Action<int>? warmUp = null)
    {
        warmUp ??= body;
        for (var i = 0; i < warmUps; i++)
        {
            warmUp(i);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < iterations; i++)
        {
            body(i);
        }
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
