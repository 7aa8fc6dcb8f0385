using System;
using System.Data.Common;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Durability.Tests.Infrastructure;
using EventRouter.Generated;
using EventRouter.PostgreSql;
using EventRouter.Sqlite;
using Npgsql;

namespace EventRouter.Durability.Tests.Store;

/// <summary>
/// A durable loop meets a database it cannot use — full, locked, down, or at a newer schema. Each time the producer
/// gets a clear exception (the event was not accepted: it still holds it), and once the condition clears the events
/// accepted before are all there and delivered, the refused one is not.
/// </summary>
[Collection(DispatchLoop.JournalCollection.Name)]
public abstract class BadConditionTests : BackendTests
{
    protected DurableStore NewStore(DurableStoreOptions? options = null)
    {
        options ??= new DurableStoreOptions();
        options.JsonContext = TestJson.Default;
        options.InstanceName = "tests";
        return Database.CreateStore(options);
    }

    protected static EventDispatchLoop NewLoop(DurableStore store) =>
        new(new EventDispatcher(), new DispatchLoopOptions { MaxParallelism = 2 }.UseDurableStore(store));

    /// <summary>Two events accepted by a loop that never delivers them (a process that stopped).</summary>
    protected async Task AcceptTwoAsync()
    {
        await using var store = NewStore();
        var loop = NewLoop(store);
        await loop.EnqueueAsync(new OrderPlaced("order-1", "alice", 1));
        await loop.EnqueueAsync(new OrderPlaced("order-2", "bob", 2));
        loop.Dispose();
    }

    /// <summary>A new process on the healthy database: it delivers exactly the accepted events, once each.</summary>
    protected async Task AssertDeliveredAsync(Journal journal, params string[] orders)
    {
        await using var store = NewStore();
        var loop = NewLoop(store);
        loop.Start();
        await Eventually.WaitUntilAsync(() => loop.Counts.Handled == orders.Length, $"the {orders.Length} accepted events handled");
        await loop.StopAsync(Timeout.InfiniteTimeSpan);
        Assert.Equal(orders.Order(), journal.Runs.Keys.Where(k => k.Listener == nameof(Billing)).Select(k => k.OrderId).Order());
        Assert.All(journal.Runs.Values, n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task SchemaFromANewerVersion_EnqueueFailsClearly_AndTheAcceptedEventsAreThereOnceItIsBack()
    {
        var journal = Journal.Current.Value = new Journal();
        await AcceptTwoAsync();
        await Database.ExecuteAsync("UPDATE eventrouter_schema SET version = 99");

        await using (var store = NewStore())
        {
            var loop = NewLoop(store);
            var error = await Assert.ThrowsAsync<DurableSchemaException>(() => loop.EnqueueAsync(new OrderPlaced("order-3", "carol", 3)).AsTask());
            Assert.Equal(99, error.FoundVersion);
            loop.Dispose();
        }
        Assert.Equal(2, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue"));

        await Database.ExecuteAsync($"UPDATE eventrouter_schema SET version = {Database.CreateStore().SchemaVersion}");
        await AssertDeliveredAsync(journal, "order-1", "order-2");
    }
}

public sealed class SqliteBadConditionTests : BadConditionTests
{
    protected override Task<TestDatabase> CreateDatabaseAsync() => Task.FromResult<TestDatabase>(new SqliteTestDatabase());

    [Fact]
    public async Task DiskFull_EnqueueFailsClearly_AndTheAcceptedEventsAreThereOnceThereIsRoom()
    {
        var journal = Journal.Current.Value = new Journal();
        await AcceptTwoAsync();

        // The file may not grow (max_page_count, per connection, on the store's connections): SQLite's "disk full".
        var limited = new SizeLimitedBackend(SqliteStore.Create(Database.ConnectionString).Backend);
        await using (var store = new DurableStore(limited, new DurableStoreOptions { JsonContext = TestJson.Default, InstanceName = "tests" }))
        {
            var loop = NewLoop(store);
            await loop.EnqueueAsync(new OrderPlaced("order-small", "dan", 0)); // recovery done, the schema read
            await Database.ExecuteAsync("DELETE FROM eventrouter_queue WHERE event_id = 'order-small'"); // keeps the pages
            limited.Full = true;
            var big = new OrderPlaced("order-3", new string('x', 200_000), 3); // needs new pages
            var error = await Assert.ThrowsAsync<DurableStoreException>(() => loop.EnqueueAsync(big).AsTask());
            Assert.Contains("full", error.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Contains($"SQLite store at {((SqliteTestDatabase)Database).Path}", error.Message, StringComparison.Ordinal);
            Assert.Equal(3, loop.Counts.Accepted); // the two recovered and order-small, not the one that did not fit
            loop.Dispose();
        }
        Assert.Equal(2, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue"));
        await AssertDeliveredAsync(journal, "order-1", "order-2");
    }

    [Fact]
    public async Task DatabaseLocked_EnqueueFailsAsTransient_AndTheAcceptedEventsAreThereOnceTheLockIsGone()
    {
        var journal = Journal.Current.Value = new Journal();
        await AcceptTwoAsync();

        await using (var store = SqliteStore.Create(Database.ConnectionString + ";Default Timeout=1", new DurableStoreOptions { JsonContext = TestJson.Default, InstanceName = "tests" }))
        {
            var loop = NewLoop(store);
            await ((Microsoft.Extensions.Hosting.IHostedService)loop).StartAsync(default);
            await Eventually.WaitUntilAsync(() => loop.Counts.Handled == 2);
            await using (var other = await Database.OpenAsync())
            {
                await using var command = other.CreateCommand();
                command.CommandText = "BEGIN EXCLUSIVE";
                await command.ExecuteNonQueryAsync();
                var error = await Assert.ThrowsAsync<DurableStoreException>(() => loop.EnqueueAsync(new OrderPlaced("order-3", "carol", 3)).AsTask());
                Assert.True(error.IsTransient, error.ToString());
                command.CommandText = "ROLLBACK";
                await command.ExecuteNonQueryAsync();
            }
            await loop.EnqueueAsync(new OrderPlaced("order-4", "dan", 4));
            await Eventually.WaitUntilAsync(() => loop.Counts.Handled == 3);
            await loop.StopAsync(Timeout.InfiniteTimeSpan);
        }
        Assert.Equal(["order-1", "order-2", "order-4"], journal.Runs.Keys.Where(k => k.Listener == nameof(Billing)).Select(k => k.OrderId).Order());
    }

    /// <summary>The SQLite backend with the file's growth stopped while <see cref="Full"/>.</summary>
    private sealed class SizeLimitedBackend(DurableBackend inner) : DurableBackend
    {
        public volatile bool Full;

        public override string Name => inner.Name;

        public override string Target => inner.Target;

        public override DurableSql Sql => inner.Sql;

        public override bool LocksClaimedRows => inner.LocksClaimedRows;

        public override ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) => inner.OpenAsync(cancellationToken);

        public override async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
        {
            // Per connection and write: 1 means "no bigger than now" (it cannot go below the current size).
            await Db.ExecuteAsync(connection, null, Full ? "PRAGMA max_page_count = 1" : "PRAGMA max_page_count = 1073741823", cancellationToken);
            return await inner.BeginWriteAsync(connection, cancellationToken);
        }

        public override bool IsTransient(Exception exception) => inner.IsTransient(exception);

        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

public sealed class PostgreSqlBadConditionTests : BadConditionTests
{
    protected override async Task<TestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();

    [Fact]
    public async Task ServerDownAtStart_EnqueueFailsClearly_AndTheAcceptedEventsAreThereOnceItIsUp()
    {
        var journal = Journal.Current.Value = new Journal();
        await AcceptTwoAsync();

        // The same database behind a port nothing listens on: the server is down for this process.
        var down = new NpgsqlConnectionStringBuilder(Database.ConnectionString) { Port = 1, Timeout = 5 }.ConnectionString;
        await using (var store = PostgreSqlStore.Create(down, new DurableStoreOptions { JsonContext = TestJson.Default, InstanceName = "tests" }))
        {
            var loop = NewLoop(store);
            var error = await Assert.ThrowsAsync<DurableStoreException>(() => loop.EnqueueAsync(new OrderPlaced("order-3", "carol", 3)).AsTask());
            Assert.True(error.IsTransient, error.ToString());
            Assert.Contains("PostgreSQL store at localhost:1/", error.Message, StringComparison.Ordinal);
            loop.Dispose();
        }
        Assert.Equal(2, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue"));
        await AssertDeliveredAsync(journal, "order-1", "order-2");
    }
}
