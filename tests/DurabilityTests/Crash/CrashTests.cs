using System;
using System.Collections.Generic;
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
        var seed = CrashChild.Seed();
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
            var effects = await CrashChild.ReadEffectsAsync(Database, listener);
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

    private Task<List<int>> RunChildAsync(string mode, int from, int to, bool drain, TimeSpan? killAfter, int seed) =>
        CrashChild.RunAsync([BackendArgument, Database.ConnectionString, mode, from.ToString(), to.ToString(), drain ? "drain" : "produce"], killAfter, $"seed {seed}");
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
