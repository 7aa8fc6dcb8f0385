using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using EventRouter.Durability.Tests.Infrastructure;

namespace EventRouter.Durability.Tests.Crash;

/// <summary>
/// A child process (tests/DurabilityCrashChild) places orders and is killed with SIGKILL at random moments — while
/// enqueuing, in the middle of a listener, between a commit and the relay — then started again, several times; a
/// last run drains. The database then must hold exactly one effect per listener for every order placed: none lost,
/// none twice, and each customer's orders handled in the order they were placed.
/// </summary>
/// <remarks>ER_CRASH_SEED replays a failed run's kill moments (the seed is in every failure message).</remarks>
public abstract class CrashTests : BackendTests
{
    private const int Kills = 4;
    private const int OrdersPerRun = 150;

    protected abstract string BackendArgument { get; }

    [Fact]
    public Task SigKillDuringDurableLoop_LosesNothingAndRunsNoListenerTwice() => RunAsync("loop");

    [Fact]
    public Task SigKillDuringOutboxAndRelay_LosesNothingAndRunsNoListenerTwice() => RunAsync("outbox");

    private async Task RunAsync(string mode)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("ER_CRASH_SEED"), out var s) ? s : Environment.TickCount;
        var random = new Random(seed);
        var next = 0;
        var log = new List<string>();
        for (var kill = 0; kill < Kills; kill++)
        {
            var delay = TimeSpan.FromMilliseconds(random.Next(0, 700));
            var reported = await RunChildAsync(mode, next, next + OrdersPerRun, drain: false, killAfter: delay, seed);
            log.Add($"run {kill}: from {next}, killed {delay.TotalMilliseconds} ms after ready, reported {reported.Count}");
            if (reported.Count > 0)
            {
                next = reported.Max() + 1;
            }
        }
        var last = next + 50;
        var drained = await RunChildAsync(mode, next, last, drain: true, killAfter: null, seed);
        Assert.Equal(50, drained.Count);

        var context = $"seed {seed} ({Database.Backend}, {mode}): {string.Join("; ", log)}";
        foreach (var listener in new[] { "billing", "shipping" })
        {
            var effects = await ReadEffectsAsync(listener);
            var perOrder = effects.GroupBy(e => e.Sequence).ToDictionary(g => g.Key, g => g.Count());
            var lost = Enumerable.Range(0, last).Where(i => !perOrder.ContainsKey(i)).ToList();
            var twice = perOrder.Where(p => p.Value > 1).Select(p => p.Key).ToList();
            Assert.True(lost.Count == 0, $"{context}: {listener} lost {lost.Count}: {string.Join(",", lost.Take(20))}");
            Assert.True(twice.Count == 0, $"{context}: {listener} ran twice for {twice.Count}: {string.Join(",", twice.Take(20))}");
            Assert.True(perOrder.Count == last, $"{context}: {listener} has effects for {perOrder.Count} orders, {last} placed");
            foreach (var customer in effects.GroupBy(e => e.Customer))
            {
                var sequence = customer.Select(e => e.Sequence).ToArray();
                Assert.True(sequence.SequenceEqual(sequence.Order()), $"{context}: {listener} handled {customer.Key} out of order: {string.Join(",", sequence)}");
            }
        }
        Assert.Equal(0, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue"));
        Assert.Equal(0, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_outbox WHERE sent_at IS NULL"));
        Assert.Equal(0, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_dead_letters"));
    }

    private async Task<List<(string Customer, int Sequence)>> ReadEffectsAsync(string listener)
    {
        await using var connection = await Database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT customer, sequence FROM crash_effects WHERE listener = '{listener}' ORDER BY id";
        var effects = new List<(string, int)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            effects.Add((reader.GetString(0), Convert.ToInt32(reader.GetValue(1))));
        }
        return effects;
    }

    /// <summary>Runs the child; returns the orders it reported accepted (or committed) before it was killed or finished.</summary>
    private async Task<List<int>> RunChildAsync(string mode, int from, int to, bool drain, TimeSpan? killAfter, int seed)
    {
        var dll = Path.Combine(AppContext.BaseDirectory.Replace("DurabilityTests", "DurabilityCrashChild", StringComparison.Ordinal), "DurabilityCrashChild.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { dll, BackendArgument, Database.ConnectionString, mode, from.ToString(), to.ToString(), drain ? "drain" : "produce" })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = new Process { StartInfo = start };
        var reported = new ConcurrentQueue<int>();
        var errors = new ConcurrentQueue<string>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            switch (e.Data?.Split(' '))
            {
                case ["READY"]:
                    ready.TrySetResult();
                    break;
                case ["DONE"]:
                    done.TrySetResult();
                    break;
                case ["ACCEPTED" or "COMMITTED", var index]:
                    reported.Enqueue(int.Parse(index));
                    break;
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) errors.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        var guard = TimeSpan.FromSeconds(120);
        try
        {
            var first = await Task.WhenAny(ready.Task, exited).WaitAsync(guard);
            Assert.True(first == ready.Task, $"seed {seed}: the child exited before it was ready: {string.Join("\n", errors)}");
            if (killAfter is { } delay)
            {
                await Task.Delay(delay);
                process.Kill(entireProcessTree: true); // SIGKILL: no finally block, no flush, no graceful anything
                await exited.WaitAsync(guard);
            }
            else
            {
                await done.Task.WaitAsync(guard);
                await exited.WaitAsync(guard);
                Assert.True(process.ExitCode == 0, $"seed {seed}: the draining child failed ({process.ExitCode}): {string.Join("\n", errors)}");
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        // Lines read before the kill are all in: the output pipe drains once the process is gone.
        process.WaitForExit();
        return reported.ToList();
    }
}

public sealed class SqliteCrashTests : CrashTests
{
    protected override string BackendArgument => "sqlite";

    protected override Task<TestDatabase> CreateDatabaseAsync() => Task.FromResult<TestDatabase>(new SqliteTestDatabase());
}

public sealed class PostgreSqlCrashTests : CrashTests
{
    protected override string BackendArgument => "postgres";

    protected override async Task<TestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();
}
