using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Data.Common;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Durability.Tests.Infrastructure;
using EventRouter.Generated;

namespace EventRouter.Durability.Tests.Outbox;

public abstract class OutboxTests : BackendTests
{
    protected DurableStore NewStore() => NewStore(Database);

    internal static DurableStore NewStore(TestDatabase database)
    {
        var store = database.CreateStore(new DurableStoreOptions { JsonContext = TestJson.Default });
        store.UseDispatcher(new EventDispatcher());
        return store;
    }

    /// <summary>The application's own change and its event, in one transaction that commits or rolls back.</summary>
    internal static async Task PlaceOrderAsync(DurableStore store, DbConnection connection, OrderPlaced order, bool commit)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = $"INSERT INTO orders (id, amount) VALUES ('{order.OrderId}', {order.Amount})";
            await insert.ExecuteNonQueryAsync();
        }
        await store.Outbox.PublishAsync(order, transaction);
        if (commit)
        {
            await transaction.CommitAsync();
        }
        else
        {
            await transaction.RollbackAsync();
        }
    }

    protected Task<DbConnection> OpenWithOrdersTableAsync(DurableStore store) => OpenWithOrdersTableAsync(Database, store);

    internal static async Task<DbConnection> OpenWithOrdersTableAsync(TestDatabase database, DurableStore store)
    {
        await store.InitializeAsync();
        await database.ExecuteAsync("CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, amount INTEGER NOT NULL)");
        return await database.OpenAsync();
    }

    [Fact]
    public async Task Publish_Committed_IsDeliveredOnceAfterTheCommitAndMarkedSent()
    {
        await using var store = NewStore();
        await using var connection = await OpenWithOrdersTableAsync(store);
        var delivered = new List<object>();
        await using var relay = new OutboxRelay(store, (e, _) => { delivered.Add(e); return default; });

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await store.Outbox.PublishAsync(new OrderPlaced("order-1", "alice", 10), transaction);
            if (Database.Backend == "PostgreSQL")
            {
                // Not committed yet: nothing to send (SQLite's relay would wait for the lock this transaction holds).
                Assert.Equal(0, await relay.RelayOnceAsync());
            }
            await transaction.CommitAsync();
        }

        Assert.Equal(1, await relay.RelayOnceAsync());
        Assert.Equal(0, await relay.RelayOnceAsync());
        Assert.Equal(new object[] { new OrderPlaced("order-1", "alice", 10) }, delivered);
        Assert.Equal(0, await store.Outbox.PendingCountAsync());
        Assert.Equal(1, relay.Sent);
        Assert.Equal(1, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_outbox WHERE sent_at IS NOT NULL AND event_id = 'order-1'"));
    }

    [Fact]
    public async Task Publish_RolledBack_IsNeverDelivered()
    {
        await using var store = NewStore();
        await using var connection = await OpenWithOrdersTableAsync(store);
        var delivered = new List<object>();
        await using var relay = new OutboxRelay(store, (e, _) => { delivered.Add(e); return default; });

        await PlaceOrderAsync(store, connection, new OrderPlaced("order-1", "alice", 10), commit: false);
        await PlaceOrderAsync(store, connection, new OrderPlaced("order-2", "bob", 20), commit: true);

        Assert.Equal(1, await relay.RelayOnceAsync());
        Assert.Equal(0, await relay.RelayOnceAsync());
        Assert.Equal(new object[] { new OrderPlaced("order-2", "bob", 20) }, delivered);
        Assert.Equal(1, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_outbox"));
        Assert.Equal(1, await Database.ScalarAsync("SELECT COUNT(*) FROM orders"));
    }

    [Fact]
    public async Task Publish_CommittedThenTheProcessStopsBeforeTheRelay_IsDeliveredByTheNextProcess()
    {
        await using (var first = NewStore())
        {
            await using var connection = await OpenWithOrdersTableAsync(first);
            await PlaceOrderAsync(first, connection, new OrderPlaced("order-1", "alice", 10), commit: true);
        }

        await using var second = NewStore();
        var delivered = new List<object>();
        await using var relay = new OutboxRelay(second, (e, _) => { delivered.Add(e); return default; });
        Assert.Equal(1, await relay.RelayOnceAsync());
        Assert.Equal(new object[] { new OrderPlaced("order-1", "alice", 10) }, delivered);
    }

    [Fact]
    public async Task Relay_DeliveryFails_LeavesThatEventAndTheRestUnsentAndSendsThemNextPass()
    {
        await using var store = NewStore();
        await using var connection = await OpenWithOrdersTableAsync(store);
        for (var i = 1; i <= 5; i++)
        {
            await PlaceOrderAsync(store, connection, new OrderPlaced($"order-{i}", "alice", i), commit: true);
        }
        var delivered = new List<int>();
        var broken = true;
        await using var relay = new OutboxRelay(store, (e, _) =>
        {
            var order = (OrderPlaced)e;
            if (broken && order.Amount == 3)
            {
                throw new InvalidOperationException("broker unreachable");
            }
            delivered.Add(order.Amount);
            return default;
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => relay.RelayOnceAsync());
        Assert.Equal("broker unreachable", error.Message);
        Assert.Equal(new[] { 1, 2 }, delivered);
        Assert.Equal(3, await store.Outbox.PendingCountAsync());

        broken = false;
        Assert.Equal(3, await relay.RelayOnceAsync());
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, delivered);
        Assert.Equal(0, await store.Outbox.PendingCountAsync());
    }

    [Fact]
    public async Task Relay_EventThatCannotBeReadBack_GoesToTheDeadLettersAndDoesNotBlockTheOthers()
    {
        await using var store = NewStore();
        await using var connection = await OpenWithOrdersTableAsync(store);
        await Database.ExecuteAsync("INSERT INTO eventrouter_outbox (event_name, event_id, payload, created_at) VALUES ('tests.unknown', NULL, '{}', 0)");
        await Database.ExecuteAsync("INSERT INTO eventrouter_outbox (event_name, event_id, payload, created_at) VALUES ('tests.durability.order-placed', NULL, 'not json', 0)");
        await PlaceOrderAsync(store, connection, new OrderPlaced("order-1", "alice", 10), commit: true);
        var delivered = new List<object>();
        await using var relay = new OutboxRelay(store, (e, _) => { delivered.Add(e); return default; });

        Assert.Equal(3, await relay.RelayOnceAsync());

        Assert.Equal(new object[] { new OrderPlaced("order-1", "alice", 10) }, delivered);
        Assert.Equal(1, relay.Sent);
        Assert.Equal(0, await store.Outbox.PendingCountAsync());
        Assert.Equal(2, await Database.ScalarAsync($"SELECT COUNT(*) FROM eventrouter_dead_letters WHERE listener = '{OutboxRelay.DeadLetterListener}'"));
    }

    [Fact]
    public async Task Relay_Started_DeliversCommittedEventsInTheBackgroundInOrder()
    {
        await using var store = NewStore();
        await using var connection = await OpenWithOrdersTableAsync(store);
        var delivered = new ConcurrentQueue<int>();
        await using var relay = new OutboxRelay(store, (e, _) => { delivered.Enqueue(((OrderPlaced)e).Amount); return default; },
            new OutboxRelayOptions { PollInterval = TimeSpan.FromMilliseconds(20), BatchSize = 7 });
        relay.Start();

        for (var i = 0; i < 50; i++)
        {
            await PlaceOrderAsync(store, connection, new OrderPlaced($"order-{i}", "alice", i), commit: i % 5 != 4);
            relay.Wake();
        }
        await Eventually.WaitUntilAsync(() => delivered.Count >= 40);
        await relay.StopAsync();

        Assert.Equal(Enumerable.Range(0, 50).Where(i => i % 5 != 4), delivered);
        Assert.Equal(0, await store.Outbox.PendingCountAsync());
    }

    [Fact]
    public async Task Publish_EventTheJsonContextCannotSerialize_ThrowsAndTheTransactionCanRollBack()
    {
        await using var store = NewStore();
        await using var connection = await OpenWithOrdersTableAsync(store);
        await using var transaction = await connection.BeginTransactionAsync();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.Outbox.PublishAsync(new NotInContext("x"), transaction));
        Assert.Contains("[JsonSerializable(typeof(", error.Message, StringComparison.Ordinal);
        await transaction.RollbackAsync();
        Assert.Equal(0, await store.Outbox.PendingCountAsync());
    }

    public sealed record NotInContext(string Id);
}

public sealed class SqliteOutboxTests : OutboxTests
{
    protected override Task<TestDatabase> CreateDatabaseAsync() => Task.FromResult<TestDatabase>(new SqliteTestDatabase());
}

public sealed class PostgreSqlOutboxTests : OutboxTests
{
    protected override async Task<TestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();

    [Fact]
    public async Task TwoRelaysOnOneDatabase_SendEveryCommittedEventExactlyOnceAndNoRolledBackOne()
    {
        const int Producers = 3, OrdersEach = 200;
        await using var producerStore = NewStore();
        await using (await OpenWithOrdersTableAsync(producerStore))
        {
        }
        await using var storeA = NewStore();
        await using var storeB = NewStore();
        var delivered = new ConcurrentDictionary<string, int>();
        var byRelay = new long[2];
        ValueTask Deliver(int relay, object e)
        {
            delivered.AddOrUpdate(((OrderPlaced)e).OrderId, 1, (_, n) => n + 1);
            Interlocked.Increment(ref byRelay[relay]);
            return default;
        }
        var options = new OutboxRelayOptions { PollInterval = TimeSpan.FromMilliseconds(5), BatchSize = 10 };
        await using var relayA = new OutboxRelay(storeA, async (e, _) => { await Task.Yield(); await Deliver(0, e); }, options);
        await using var relayB = new OutboxRelay(storeB, async (e, _) => { await Task.Yield(); await Deliver(1, e); }, options);
        relayA.Start();
        relayB.Start();

        // Every fourth order is rolled back; the producers run while both relays claim.
        var committed = new ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            await using var connection = await Database.OpenAsync();
            for (var i = 0; i < OrdersEach; i++)
            {
                var order = new OrderPlaced($"p{p}-{i}", $"customer-{p}", i);
                var commit = i % 4 != 3;
                await PlaceOrderAsync(producerStore, connection, order, commit);
                if (commit)
                {
                    committed.Add(order.OrderId);
                }
            }
        })));

        await Eventually.WaitUntilAsync(() => delivered.Count >= committed.Count, timeout: TimeSpan.FromSeconds(60));
        await Eventually.WaitUntilAsync(async () => await producerStore.Outbox.PendingCountAsync() == 0);
        await relayA.StopAsync();
        await relayB.StopAsync();

        Assert.Equal(Producers * OrdersEach * 3 / 4, committed.Count);
        Assert.Equal(committed.OrderBy(x => x, StringComparer.Ordinal), delivered.Keys.OrderBy(x => x, StringComparer.Ordinal));
        Assert.All(delivered, pair => Assert.Equal(1, pair.Value)); // no event sent twice
        Assert.Equal(committed.Count, byRelay[0] + byRelay[1]);
        Assert.Equal(committed.Count, relayA.Sent + relayB.Sent);
    }
}
