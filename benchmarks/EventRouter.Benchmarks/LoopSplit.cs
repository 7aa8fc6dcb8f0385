using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Generated;

namespace EventRouter.Benchmarks;

/// <summary>
/// <c>--loop-split</c>: the dispatch loop's two halves measured apart, against the same halves of the raw channel:
/// enqueue n events into a loop whose worker has not started (producer cost alone), then start it and time the
/// drain (consumer cost alone). Uncontended by construction, so it shows per-item work, not lock traffic. Best of
/// 30 rounds; a profiling aid for docs/benchmarks.md, not a target measurement.
/// </summary>
public static class LoopSplit
{
    public static int Run()
    {
        const int N = 1000;
        var e = new LoopEvent();
        var listener = new LoopListener();
        double enq = double.MaxValue, deq = double.MaxValue, rawEnq = double.MaxValue, rawDeq = double.MaxValue;
        for (var round = 0; round < 3000; round++)
        {
            var loop = new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions { MaxParallelism = 1, Capacity = N });
            var t0 = Stopwatch.GetTimestamp();
            for (var i = 0; i < N; i++)
            {
                loop.TryEnqueue(e);
            }
            enq = Math.Min(enq, PerItem(t0, N));
            var target = Volatile.Read(ref LoopListener.Handled) + N;
            t0 = Stopwatch.GetTimestamp();
            loop.Start();
            Wait(target);
            deq = Math.Min(deq, PerItem(t0, N));
            loop.Dispose();

            var channel = Channel.CreateBounded<LoopEvent>(new BoundedChannelOptions(N) { SingleReader = true });
            t0 = Stopwatch.GetTimestamp();
            for (var i = 0; i < N; i++)
            {
                channel.Writer.TryWrite(e);
            }
            rawEnq = Math.Min(rawEnq, PerItem(t0, N));
            target = Volatile.Read(ref LoopListener.Handled) + N;
            t0 = Stopwatch.GetTimestamp();
            var consumer = Task.Run(async () =>
            {
                var reader = channel.Reader;
                while (await reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    while (reader.TryRead(out var item))
                    {
                        var t = listener.HandleAsync(item, default);
                        if (!t.IsCompletedSuccessfully) await t.ConfigureAwait(false);
                    }
                }
            });
            Wait(target);
            rawDeq = Math.Min(rawDeq, PerItem(t0, N));
            channel.Writer.Complete();
            consumer.Wait();
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"enqueue: loop {enq:F1} ns, raw channel {rawEnq:F1} ns; worker (dequeue + listener): loop {deq:F1} ns, raw channel {rawDeq:F1} ns (per event, best of 3,000 rounds of 1,000)"));
        return 0;
    }

    private static double PerItem(long start, int n) => Stopwatch.GetElapsedTime(start).TotalNanoseconds / n;

    private static void Wait(long target)
    {
        while (Volatile.Read(ref LoopListener.Handled) < target)
        {
            Thread.SpinWait(20);
        }
    }
}
