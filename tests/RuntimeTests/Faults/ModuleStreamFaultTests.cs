using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;
using EventRouter.Tests.Modules;

namespace EventRouter.Tests.Faults;

/// <summary>Module streams under random early ends, cancellations and shutdown races: every reader ends, with a typed outcome.</summary>
public sealed class ModuleStreamFaultTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private enum Plan
    {
        ReadAll,
        BreakEarly,
        CancelWhileWaiting,
        CancelAnywhere,
        HandlerFails,
    }

    private sealed record Outcome(Plan Plan, int Expected, List<int> Items, Exception? Error, CancellationToken Token);

    [Fact]
    public async Task ManyReaders_RandomBreakCancelAndShutdownRacing_EveryReaderEndsWithATypedOutcome()
    {
        var seed = FaultFigures.Seed();
        var random = new Random(seed);
        const int Iterations = 30;
        const int Readers = 24;
        long cases = 0, faults = 0, hung = 0, wrong = 0, unbalanced = 0;
        var failures = new List<string>();
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var module = new StreamTestModule();
            var server = new ModuleServer<StreamTestModule>(module, new ModuleServerOptions { StreamBufferCapacity = random.Next(1, 9) });
            await server.StartAsync(CancellationToken.None);
            var client = new StreamTestModuleClient(server);
            var stopAfter = random.Next(0, Readers + 8);
            var mode = random.Next(2) == 0 ? ModuleShutdownMode.Graceful : ModuleShutdownMode.Immediate;
            var readers = new List<Task<Outcome>>();
            Task? shutdown = null;
            for (var r = 0; r < Readers; r++)
            {
                if (r == stopAfter)
                {
                    shutdown = server.ShutdownAsync(mode);
                }
                var plan = (Plan)random.Next(5);
                var count = plan switch
                {
                    Plan.BreakEarly => random.Next(1, 12),
                    Plan.CancelAnywhere => random.Next(0, 41),
                    _ => random.Next(0, 12),
                };
                faults += plan == Plan.ReadAll ? 0 : 1;
                readers.Add(Task.Run(() => ReadAsync(client, plan, count)));
            }
            shutdown ??= server.ShutdownAsync(mode);

            foreach (var reader in readers)
            {
                cases++;
                Outcome outcome;
                try
                {
                    outcome = await reader.WaitAsync(HangGuard);
                }
                catch (TimeoutException)
                {
                    hung++;
                    continue;
                }
                if (Check(outcome) is { } problem)
                {
                    wrong++;
                    failures.Add($"iteration {iteration}: {problem}");
                }
            }
            try
            {
                await shutdown.WaitAsync(HangGuard);
            }
            catch (TimeoutException)
            {
                hung++;
            }

            // Every handler that started ran its finally block; never two at once.
            var log = module.Log();
            var started = log.Count(e => e.EndsWith(":start", StringComparison.Ordinal) || e.StartsWith("endless:", StringComparison.Ordinal) && e != "endless:end");
            var ended = log.Count(e => e.EndsWith(":end", StringComparison.Ordinal));
            if (started != ended || module.MaxConcurrency > 1)
            {
                unbalanced++;
                failures.Add($"iteration {iteration}: {started} handlers started, {ended} ended, max concurrency {module.MaxConcurrency}");
            }
            await server.DisposeAsync();
        }

        FaultFigures.Report("module.streams", cases, faults, lost: wrong, hung, twice: unbalanced);
        Assert.True(hung == 0 && wrong == 0 && unbalanced == 0,
            $"seed {seed}: {hung} hung, {wrong} wrong outcomes, {unbalanced} unbalanced iterations\n" + string.Join("\n", failures.Take(10)));
        Assert.Equal((long)Iterations * Readers, cases);
    }

    /// <summary>
    /// Reads one stream by its plan. <paramref name="count"/>: the items to read to the end (ReadAll, HandlerFails),
    /// before leaving (BreakEarly), before a cancellation from another thread while the handler stalls
    /// (CancelWhileWaiting), or before cancelling from the loop body (CancelAnywhere, of 40; 40 reads them all).
    /// </summary>
    private static async Task<Outcome> ReadAsync(StreamTestModuleClient client, Plan plan, int count)
    {
        using var cts = new CancellationTokenSource();
        var items = new List<int>();
        IAsyncEnumerable<int> stream = plan switch
        {
            Plan.ReadAll => client.StreamAsync(new CountTo(count, YieldEvery: 3), cts.Token),
            Plan.BreakEarly => client.StreamAsync(new Endless("e"), cts.Token),
            Plan.CancelWhileWaiting => client.StreamAsync(new StallAfter(count), cts.Token),
            Plan.CancelAnywhere => client.StreamAsync(new CountTo(40, YieldEvery: 2), cts.Token),
            _ => client.StreamAsync(new FailAfter(count), cts.Token),
        };
        try
        {
            await foreach (var item in stream)
            {
                items.Add(item);
                if (plan == Plan.BreakEarly && items.Count == count)
                {
                    break;
                }
                if (plan == Plan.CancelWhileWaiting && items.Count == count)
                {
                    // The handler stalls after its items: the reader is (or is about to be) waiting when this lands.
                    _ = Task.Run(async () =>
                    {
                        await Task.Yield();
                        cts.Cancel();
                    });
                }
                if (plan == Plan.CancelAnywhere && items.Count == count)
                {
                    cts.Cancel();
                }
            }
            return new Outcome(plan, count, items, null, cts.Token);
        }
        catch (Exception ex)
        {
            return new Outcome(plan, count, items, ex, cts.Token);
        }
    }

    /// <summary>Null when the outcome is one the plan allows; else what is wrong.</summary>
    private static string? Check(Outcome o)
    {
        if (!o.Items.SequenceEqual(Enumerable.Range(0, o.Items.Count)))
        {
            return $"{o.Plan}: items out of order: {string.Join(",", o.Items)}";
        }
        // A stop may end any stream, at any point, with its typed error.
        if (o.Error is ModuleStoppedException)
        {
            return null;
        }
        return o.Plan switch
        {
            Plan.ReadAll when o.Error is null && o.Items.Count == o.Expected => null,
            Plan.BreakEarly when o.Error is null && o.Items.Count == o.Expected => null,
            Plan.CancelWhileWaiting when o.Error is OperationCanceledException c && c.CancellationToken == o.Token && o.Items.Count == o.Expected => null,
            Plan.CancelAnywhere when o.Expected == 0 && o.Error is null && o.Items.Count == 40 => null,
            Plan.CancelAnywhere when o.Error is OperationCanceledException c && c.CancellationToken == o.Token && o.Items.Count == o.Expected => null,
            Plan.HandlerFails when o.Error is CustomModuleException && o.Items.Count == o.Expected => null,
            _ => $"{o.Plan} (count {o.Expected}): {o.Items.Count} items, {o.Error?.GetType().Name ?? "no error"}: {o.Error?.Message}",
        };
    }
}
