using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Tests.Faults;

namespace EventRouter.Tests.DispatchLoop;

/// <summary>Retries, dead letters and per-key order under load: several producers, thousands of events, seeded random failures.</summary>
[Collection(DispatchLoopCollection.Name)]
public sealed class DispatchLoopStressTests
{
    private const int Producers = 4;
    private const int EventsPerProducer = 1500;
    private const int KeysPerProducer = 8;
    private const int MaxAttempts = 3;

    [Fact]
    public async Task Stress_ProducersWithRandomFailures_AccountingAndPerKeyOrderExact()
    {
        var seed = FaultFigures.Seed();
        // Per key, every attempt of every listener, in the order they ran. The loop serializes a key, so a plain
        // list per key would do; the lock only keeps a broken loop from corrupting the evidence.
        var logs = new ConcurrentDictionary<string, List<(int Seq, int Listener, bool Ok)>>();
        var attempts = new ConcurrentDictionary<(string Key, int Seq, int Listener), int>();
        var sink = new ListDeadLetterSink();

        async ValueTask Handle(Keyed e, int listener)
        {
            var attempt = attempts.AddOrUpdate((e.PartitionKey, e.Seq, listener), 1, (_, n) => n + 1);
            // A function of the seed and the attempt, not of the scheduling: about 30 % of attempts fail, some
            // asynchronously, and FAULT_SEED replays the same failures.
            var roll = Roll(seed, e.PartitionKey, e.Seq, listener, attempt);
            if (roll % 5 == 0)
            {
                await Task.Yield();
            }
            var ok = roll >= 30;
            var log = logs.GetOrAdd(e.PartitionKey, _ => new List<(int, int, bool)>());
            lock (log)
            {
                log.Add((e.Seq, listener, ok));
            }
            if (!ok)
            {
                throw new InvalidOperationException($"{e.PartitionKey}#{e.Seq} listener {listener} attempt {attempt}");
            }
        }

        var dispatcher = new TestDispatcher().Route(
            TestListener<Keyed>.Of<ListenerA>((e, _) => Handle(e, 0)),
            TestListener<Keyed>.Of<ListenerB>((e, _) => Handle(e, 1)));
        var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions
        {
            Capacity = 256,
            MaxParallelism = 4,
            DeadLetterSink = sink,
            RetryPolicy = new RetryPolicy { MaxAttempts = MaxAttempts, InitialDelay = TimeSpan.Zero },
        });
        loop.Start();

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            for (var seq = 0; seq < EventsPerProducer; seq++)
            {
                await loop.EnqueueAsync(new Keyed($"p{p}-k{seq % KeysPerProducer}", seq));
            }
        })).ToArray();
        await Task.WhenAll(producers);
        var undelivered = await loop.StopAsync(Timeout.InfiniteTimeSpan);

        // Accounting, exactly.
        var counts = loop.Counts;
        const int total = Producers * EventsPerProducer;
        var context = $"seed {seed} (FAULT_SEED={seed} replays it): {counts}";
        Assert.True(undelivered.Count == 0, context);
        Assert.Equal(total, counts.Accepted);
        Assert.Equal(0, counts.Dropped);
        Assert.Equal(total, counts.Handled + counts.DeadLettered);
        LoopAssert.Balanced(counts);

        // Per-key order: across all attempts of all listeners, a key's sequence numbers never go back.
        Assert.Equal(Producers * KeysPerProducer, logs.Count);
        foreach (var (key, log) in logs)
        {
            for (var i = 1; i < log.Count; i++)
            {
                Assert.True(log[i].Seq >= log[i - 1].Seq, $"key {key}: event {log[i].Seq} ran after event {log[i - 1].Seq} had started");
            }
        }

        // Per listener and event: exactly one of "succeeded once" or "dead-lettered after MaxAttempts failures".
        var letters = sink.Letters.Select(l => (((Keyed)l.Event).PartitionKey, ((Keyed)l.Event).Seq, l.Listener.ListenerType == typeof(ListenerA) ? 0 : 1)).ToHashSet();
        Assert.Equal(sink.Letters.Count, letters.Count);
        Assert.All(sink.Letters, l => Assert.Equal(MaxAttempts, l.Attempts));
        var totalAttempts = 0;
        foreach (var (key, log) in logs)
        {
            foreach (var group in log.GroupBy(x => (x.Seq, x.Listener)))
            {
                var successes = group.Count(x => x.Ok);
                var deadLettered = letters.Contains((key, group.Key.Seq, group.Key.Listener));
                Assert.True(successes == 1 ^ deadLettered, $"{key}#{group.Key.Seq} listener {group.Key.Listener}: {successes} successes, dead-lettered {deadLettered}");
                Assert.True(group.Last().Ok || deadLettered, "a listener ran again after it succeeded");
                totalAttempts += group.Count();
            }
        }
        Assert.Equal(total * 2, logs.Values.Sum(l => l.Select(x => (x.Seq, x.Listener)).Distinct().Count()));
        Assert.Equal(totalAttempts - (total * 2), counts.Retries);
        Assert.Equal(letters.Select(l => (l.Item1, l.Item2)).Distinct().Count(), counts.DeadLettered);
        Assert.InRange(counts.DeadLettered, 1, total - 1); // the failure rate really exercised both outcomes
        FaultFigures.Report("dispatch-loop.stress", cases: total, faults: logs.Values.Sum(l => l.Count(x => !x.Ok)),
            lost: total - counts.Handled - counts.DeadLettered, hung: 0, twice: 0);
    }

    /// <summary>A roll in 0..99 that depends only on its inputs (string hash codes are randomised per process).</summary>
    private static uint Roll(int seed, string key, int seq, int listener, int attempt)
    {
        var hash = 2166136261u ^ (uint)seed;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 16777619u;
        }
        foreach (var n in new[] { seq, listener, attempt })
        {
            hash = (hash ^ (uint)n) * 16777619u;
            hash ^= hash >> 15;
        }
        return hash % 100;
    }
}
