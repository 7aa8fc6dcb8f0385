using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using EventRouter.Durability.Tests.Infrastructure;
using RabbitMQ.Client;

namespace EventRouter.Durability.Tests.Crash;

/// <summary>
/// The crash tests against a real RabbitMQ node (tests/DurabilityCrashChild in its broker modes), one at a time: they
/// share the orders' exchange.
/// <list type="bullet">
/// <item>The outbox relay publishes to the broker and marks a row sent only after the broker's confirm; the child is
/// killed with SIGKILL while it publishes. Every committed order must be on the broker at least once.</item>
/// <item>A child consumes a stream of orders from the broker with the durable inbox and is killed with SIGKILL in
/// the middle of it, several times. No order is lost; no listener runs again for an order once the inbox recorded
/// its completion (with the in-memory store, every redelivery after a restart does); and a listener runs to
/// completion twice for one order only when the kill came between its completion and that record — at most once
/// per kill for each delivery a listener queue runs at once.</item>
/// <item>A child serves a module whose commands another child sent over the broker, with the durable inbox, and is
/// killed with SIGKILL in the middle of them, several times. No confirmed command is lost; none runs again once the
/// inbox recorded its completion; a command runs to completion twice only when the kill came between its completion
/// and that record — at most once per kill for each command the module's queue holds unacknowledged.</item>
/// </list>
/// </summary>
[Collection(BrokerCrashCollection.Name)]
public abstract class BrokerCrashTests : BackendTests
{
    private const string Exchange = "tests.crash.order";
    private const int Kills = 5;
    private const int ConsumerConcurrency = 4; // the child's Consuming.Concurrency: deliveries of one queue at once
    private const int ModulePrefetch = 16; // RabbitMQOptions.ModulePrefetchCount's default: a module queue's unacknowledged commands
    private static readonly string[] Listeners = ["billing", "shipping"];

    protected abstract string BackendArgument { get; }

    [Fact]
    public async Task SigKillDuringBrokerPublish_EveryCommittedOrderReachesTheBrokerAtLeastOnce()
    {
        var seed = CrashChild.Seed();
        var random = new Random(seed);
        var (environment, service) = await EnvironmentAsync();
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var probe = $"{service}.probe";
        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Fanout, durable: true);
        await channel.QueueDeclareAsync(probe, durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(probe, Exchange, string.Empty);
        try
        {
            var next = 0;
            var committed = new HashSet<int>();
            var log = new List<string>();
            for (var kill = 0; kill < Kills; kill++)
            {
                var delay = TimeSpan.FromMilliseconds(random.Next(0, 1500));
                var reported = await RunChildAsync("broker", next, next + 200, drain: false, delay, seed, environment);
                log.Add($"run {kill}: from {next}, killed {delay.TotalMilliseconds} ms after ready, committed {reported.Count}");
                committed.UnionWith(reported);
                next = reported.Count > 0 ? reported.Max() + 1 : next;
            }
            var last = next + 50;
            committed.UnionWith(await RunChildAsync("broker", next, last, drain: true, killAfter: null, seed, environment));
            var context = $"seed {seed} ({Database.Backend}): {string.Join("; ", log)}";

            var received = new Dictionary<int, int>();
            while (await channel.BasicGetAsync(probe, autoAck: true) is { } message)
            {
                var sequence = int.Parse(message.BasicProperties.MessageId!["order-".Length..]);
                received[sequence] = received.GetValueOrDefault(sequence) + 1;
            }
            var lost = committed.Where(i => !received.ContainsKey(i)).Order().ToList();
            Assert.True(lost.Count == 0, $"{context}: {lost.Count} committed orders never reached the broker: {string.Join(",", lost.Take(20))}");
            // Placed (an order whose commit a kill hid is placed again by the next run): every one is on the broker.
            var missing = Enumerable.Range(0, last).Where(i => !received.ContainsKey(i)).ToList();
            Assert.True(missing.Count == 0, $"{context}: {missing.Count} orders never reached the broker: {string.Join(",", missing.Take(20))}");
            Assert.Equal(0, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_outbox WHERE sent_at IS NULL"));
            Assert.Equal(0, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_dead_letters"));
        }
        finally
        {
            await channel.QueueDeleteAsync(probe);
            await channel.ExchangeDeleteAsync(Exchange);
        }
    }

    [Fact]
    public Task SigKillDuringConsume_WithTheDurableInbox_NoListenerRunsAgainOnceItsCompletionIsRecorded() => ConsumeAsync("consume");

    private async Task ConsumeAsync(string mode)
    {
        var seed = CrashChild.Seed();
        var random = new Random(seed);
        var (environment, _) = await EnvironmentAsync();
        const int Orders = 1500;
        try
        {
            // The first consumer declares its queues; then the whole stream is published, then consumed through kills.
            await RunChildAsync("consume", 0, Orders, drain: false, TimeSpan.Zero, seed, environment);
            var published = await RunChildAsync("publish", 0, Orders, drain: true, killAfter: null, seed, environment);
            Assert.Equal(Orders, published.Count);
            var log = new List<string>();
            for (var kill = 0; kill < Kills; kill++)
            {
                var delay = TimeSpan.FromMilliseconds(random.Next(200, 1500));
                await RunChildAsync(mode, 0, Orders, drain: false, delay, seed, environment);
                log.Add($"killed {delay.TotalMilliseconds} ms after ready");
            }
            await RunChildAsync(mode, 0, Orders, drain: true, killAfter: null, seed, environment);
            var context = $"seed {seed} ({Database.Backend}): {string.Join("; ", log)}";

            foreach (var listener in Listeners)
            {
                var runs = (await CrashChild.ReadEffectsAsync(Database, listener)).GroupBy(e => e.Sequence).ToDictionary(g => g.Key, g => g.Count());
                var lost = Enumerable.Range(0, Orders).Where(i => !runs.ContainsKey(i)).ToList();
                var again = runs.Where(r => r.Value > 1).Sum(r => r.Value - 1);
                var afterRecord = await Database.ScalarAsync($"SELECT COUNT(*) FROM crash_reruns WHERE listener = '{listener}'");
                Assert.True(lost.Count == 0, $"{context}: {listener} lost {lost.Count}: {string.Join(",", lost.Take(20))}");
                Assert.True(afterRecord == 0, $"{context}: {listener} ran {afterRecord} times for orders whose completion the inbox held ({again} extra completions)");
                Assert.True(again <= Kills * ConsumerConcurrency, $"{context}: {listener} ran to completion {again} extra times over {Kills} kills");
            }
        }
        finally
        {
            await using var connection = await ConnectAsync();
            await using var channel = await connection.CreateChannelAsync();
            await channel.ExchangeDeleteAsync(Exchange);
        }
    }

    [Fact]
    public async Task SigKillWhileServingModuleCommands_WithTheDurableInbox_NoCommandRunsAgainOnceItsCompletionIsRecorded()
    {
        var seed = CrashChild.Seed();
        var random = new Random(seed);
        var (environment, queue) = await EnvironmentAsync();
        const int Orders = 2000;
        try
        {
            // The first server declares the module's queue; then every command is sent, then served through kills.
            await RunChildAsync("serve", 0, Orders, drain: false, TimeSpan.Zero, seed, environment);
            var sent = await RunChildAsync("send", 0, Orders, drain: true, killAfter: null, seed, environment);
            Assert.Equal(Orders, sent.Count);
            var log = new List<string>();
            for (var kill = 0; kill < Kills; kill++)
            {
                var delay = TimeSpan.FromMilliseconds(random.Next(200, 1500));
                await RunChildAsync("serve", 0, Orders, drain: false, delay, seed, environment);
                log.Add($"killed {delay.TotalMilliseconds} ms after ready, {await Database.ScalarAsync("SELECT COUNT(DISTINCT sequence) FROM crash_effects")} fulfilled");
            }
            await RunChildAsync("serve", 0, Orders, drain: true, killAfter: null, seed, environment);
            var context = $"seed {seed} ({Database.Backend}): {string.Join("; ", log)}";

            var runs = (await CrashChild.ReadEffectsAsync(Database, "fulfilment")).GroupBy(e => e.Sequence).ToDictionary(g => g.Key, g => g.Count());
            var lost = Enumerable.Range(0, Orders).Where(i => !runs.ContainsKey(i)).ToList();
            var again = runs.Where(r => r.Value > 1).Sum(r => r.Value - 1);
            var afterRecord = await Database.ScalarAsync("SELECT COUNT(*) FROM crash_reruns WHERE listener = 'fulfilment'");
            Assert.True(lost.Count == 0, $"{context}: {lost.Count} confirmed commands never ran: {string.Join(",", lost.Take(20))}");
            Assert.True(afterRecord == 0, $"{context}: {afterRecord} commands ran again although the inbox held their completion ({again} extra completions)");
            Assert.True(again <= Kills * ModulePrefetch, $"{context}: commands ran to completion {again} extra times over {Kills} kills");
            Assert.Equal(Orders, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_inbox WHERE listener LIKE 'module:%'"));
        }
        finally
        {
            await using var connection = await ConnectAsync();
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(queue);
            await channel.QueueDeleteAsync(queue + ".error");
        }
    }

    private Task<List<int>> RunChildAsync(string mode, int from, int to, bool drain, TimeSpan? killAfter, int seed, IReadOnlyDictionary<string, string> environment) =>
        CrashChild.RunAsync([BackendArgument, Database.ConnectionString, mode, from.ToString(), to.ToString(), drain ? "drain" : "produce"], killAfter, $"seed {seed}", environment);

    private static async Task<(Dictionary<string, string> Environment, string Service)> EnvironmentAsync()
    {
        var service = "crash" + Guid.NewGuid().ToString("N")[..10];
        return (new Dictionary<string, string> { ["ER_CRASH_BROKER"] = await BrokerServer.UriAsync(), ["ER_CRASH_SERVICE"] = service }, service);
    }

    private static async Task<IConnection> ConnectAsync() =>
        await new ConnectionFactory { Uri = new Uri(await BrokerServer.UriAsync()) }.CreateConnectionAsync();
}

[CollectionDefinition(Name)]
public sealed class BrokerCrashCollection
{
    public const string Name = "Broker crash tests";
}

public sealed class SqliteBrokerCrashTests : BrokerCrashTests
{
    protected override string BackendArgument => "sqlite";

    protected override Task<TestDatabase> CreateDatabaseAsync() => Task.FromResult<TestDatabase>(new SqliteTestDatabase());
}

public sealed class PostgreSqlBrokerCrashTests : BrokerCrashTests
{
    protected override string BackendArgument => "postgres";

    protected override async Task<TestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();
}
