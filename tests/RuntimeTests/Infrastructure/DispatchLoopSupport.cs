using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;

namespace EventRouter.Tests.DispatchLoop;

/// <summary>Collects dead letters.</summary>
internal sealed class ListDeadLetterSink : IDeadLetterSink
{
    public ConcurrentQueue<DeadLetter> Letters { get; } = new();

    public ValueTask WriteAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
    {
        Letters.Enqueue(deadLetter);
        return default;
    }
}

internal static class LoopAssert
{
    /// <summary>The accounting invariant, checked once the loop has stopped.</summary>
    public static void Balanced(DispatchLoopCounts counts)
    {
        Assert.Equal(counts.Accepted, counts.Handled + counts.DeadLettered + counts.Dropped + counts.ReturnedUndelivered + counts.Canceled);
        Assert.Equal(0, counts.InFlight);
    }
}

/// <summary>
/// The dispatch loop tests start worker lanes and poll for conditions; run alone, they neither load the thread pool
/// under other suites' concurrency tests nor get starved by them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DispatchLoopCollection
{
    public const string Name = "DispatchLoop";
}
