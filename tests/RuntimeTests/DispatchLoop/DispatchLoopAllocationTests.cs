using System;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Generated;

namespace EventRouter.Tests.DispatchLoop;

/// <summary>A class event with no id and no key: the dispatch loop's allocation-free path.</summary>
public sealed class LoopTick
{
}

/// <summary>
/// Records, on the worker's thread, the bytes that thread allocated when it saw chosen ticks: the worker itself
/// measures the worker. The first tick can hold the worker until the test has queued the rest.
/// </summary>
[EventListener]
public sealed class LoopTickProbe : IEventListener<LoopTick>
{
    internal static ManualResetEventSlim? Gate;
    internal static int Seen;
    internal static int MeasureFrom;
    internal static int MeasureTo;
    internal static long BytesAtFrom;
    internal static long BytesAtTo;
    internal static int ThreadAtFrom;
    internal static int ThreadAtTo;

    public ValueTask HandleAsync(LoopTick @event, CancellationToken cancellationToken)
    {
        var n = ++Seen;
        if (n == 1)
        {
            Gate?.Wait(TimeSpan.FromSeconds(10));
        }
        if (n == MeasureFrom)
        {
            ThreadAtFrom = Environment.CurrentManagedThreadId;
            BytesAtFrom = GC.GetAllocatedBytesForCurrentThread();
        }
        if (n == MeasureTo)
        {
            ThreadAtTo = Environment.CurrentManagedThreadId;
            BytesAtTo = GC.GetAllocatedBytesForCurrentThread();
        }
        return default;
    }
}

/// <summary>
/// "0 B per class event" on both sides of the dispatch loop, each counted on its own thread (deterministic, unlike a
/// process-wide count): the producer's enqueue and the worker's dequeue, listener call and bookkeeping.
/// </summary>
[Collection(TelemetrySensitive.Name)]
public sealed class DispatchLoopAllocationTests
{
    [Fact]
    public async Task EnqueueAndDeliver_ClassEventSteadyState_AllocateNothingOnProducerOrWorker()
    {
        const int events = 2000;
        using var gate = new ManualResetEventSlim();
        LoopTickProbe.Gate = gate;
        var tick = new LoopTick();
        var loop = new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions { Capacity = 2 * events, MaxParallelism = 1 });
        try
        {
            loop.Start();
            long producerBytes = 0;
            // Batches of the same size: the first ones grow the queue's segments to what a batch needs and get the
            // code to its final tier; the last one is measured. The first tick of each batch holds the worker until
            // the batch is queued, so the worker then runs through it on one thread without parking.
            const int batches = 4;
            for (var batch = 1; batch <= batches; batch++)
            {
                gate.Reset();
                LoopTickProbe.Seen = 0;
                LoopTickProbe.MeasureFrom = 500;
                LoopTickProbe.MeasureTo = events;
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < events; i++)
                {
                    var write = loop.EnqueueAsync(tick);
                    Assert.True(write.IsCompletedSuccessfully);
                }
                producerBytes = GC.GetAllocatedBytesForCurrentThread() - before;
                gate.Set();
                await Eventually.WaitUntilAsync(() => loop.Counts.Handled == batch * events, $"batch {batch} delivered");
            }

            Assert.Equal(0, producerBytes);
            Assert.Equal(LoopTickProbe.ThreadAtFrom, LoopTickProbe.ThreadAtTo);
            Assert.Equal(0, LoopTickProbe.BytesAtTo - LoopTickProbe.BytesAtFrom);
        }
        finally
        {
            gate.Set();
            await loop.StopAsync(Timeout.InfiniteTimeSpan);
            LoopTickProbe.Gate = null;
        }
    }
}
