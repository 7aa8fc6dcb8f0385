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

    /// <summary>
    /// Billing fails every attempt; the child is killed during the retries, several times. A retry's failed attempts
    /// and due time are stored before its backoff, so each restart goes on where the last one stood: the last run
    /// makes exactly the attempts the store says are left, and every dead letter says the policy's attempts.
    /// </summary>
    [Fact]
    public async Task SigKillDuringRetries_AttemptsContinueAcrossRestartsAndTheDeadLetterComesAfterMaxAttempts()
    {
        const int Orders = 4;
        const int MaxAttempts = 6; // the child's Effects.RetryAttempts
        var seed = CrashChild.Seed();
        var random = new Random(seed);
        var log = new List<string>();
        for (var kill = 0; kill < Kills; kill++)
        {
            var delay = TimeSpan.FromMilliseconds(random.Next(500, 1500));
            // The first run is killed during the retries: its delay starts once every order was accepted.
            var reported = await RunChildAsync("retry", kill == 0 ? 0 : Orders, Orders, drain: false, killAfter: delay, seed,
                killAfterReports: kill == 0 ? Orders : 0);
            log.Add($"run {kill}: killed {delay.TotalMilliseconds} ms after ready, accepted {reported.Count}");
            Assert.True(kill > 0 || reported.Count == Orders, $"seed {seed}: the first run accepted {reported.Count} of {Orders} orders");
        }
        var context = $"seed {seed} ({Database.Backend}): {string.Join("; ", log)}";

        // What the store says is left for each order still pending, then what the last run did.
        var left = new Dictionary<int, long>();
        for (var i = 0; i < Orders; i++)
        {
            var pending = await Database.ScalarAsync($"SELECT COUNT(*) FROM eventrouter_queue WHERE event_id = 'order-{i}'");
            var failed = await Database.ScalarAsync(
                $"SELECT COALESCE(MAX(r.attempts), 0) FROM eventrouter_queue_retries r JOIN eventrouter_queue q ON q.id = r.entry_id WHERE q.event_id = 'order-{i}'");
            left[i] = pending == 0 ? 0 : MaxAttempts - failed;
        }
        var before = await AttemptsAsync(Orders);
        Assert.True(left.Values.Any(n => n < MaxAttempts), $"{context}: no retry was stored before the last run (left {string.Join(",", left.Values)})");
        await RunChildAsync("retry", Orders, Orders, drain: true, killAfter: null, seed);
        var after = await AttemptsAsync(Orders);

        for (var i = 0; i < Orders; i++)
        {
            Assert.True(after[i] - before[i] == left[i], $"{context}: order {i}: the last run made {after[i] - before[i]} attempts, the store said {left[i]} were left");
            // A kill can catch one attempt after its row and before its record: it is made again, never skipped.
            Assert.True(after[i] >= MaxAttempts && after[i] <= MaxAttempts + Kills, $"{context}: order {i} had {after[i]} attempts in all");
        }
        var letters = await DeadLettersAsync();
        Assert.True(Enumerable.Range(0, Orders).All(i => letters.Any(l => l.Order == $"order-{i}")), $"{context}: dead letters for {string.Join(",", letters.Select(l => l.Order))}");
        Assert.True(letters.All(l => l.Attempts == MaxAttempts), $"{context}: dead letters with attempts {string.Join(",", letters.Select(l => l.Attempts))}");
        Assert.Equal(0, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue"));
        Assert.Equal(0, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue_retries"));
    }

    private async Task<long[]> AttemptsAsync(int orders)
    {
        var attempts = new long[orders];
        for (var i = 0; i < orders; i++)
        {
            attempts[i] = await Database.ScalarAsync($"SELECT COUNT(*) FROM crash_attempts WHERE sequence = {i}");
        }
        return attempts;
    }

    private async Task<List<(string Order, long Attempts)>> DeadLettersAsync()
    {
        await using var connection = await Database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT event_id, attempts FROM eventrouter_dead_letters";
        var letters = new List<(string, long)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            letters.Add((reader.GetString(0), Convert.ToInt64(reader.GetValue(1))));
        }
        return letters;
    }

    private Task<List<int>> RunChildAsync(string mode, int from, int to, bool drain, TimeSpan? killAfter, int seed, int killAfterReports = 0) =>
        CrashChild.RunAsync([BackendArgument, Database.ConnectionString, mode, from.ToString(), to.ToString(), drain ? "drain" : "produce"], killAfter, $"seed {seed}",
            killAfterReports: killAfterReports);
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
