using System;
using System.Linq;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Durability.Tests.Infrastructure;
using EventRouter.Generated;

namespace EventRouter.Durability.Tests.Store;

[Collection(DispatchLoop.JournalCollection.Name)]
public abstract class SchemaTests : BackendTests
{
    [Fact]
    public async Task Initialize_FreshDatabase_CreatesTheSchemaAtTheCurrentVersion()
    {
        await using var store = Database.CreateStore();
        await store.InitializeAsync();

        Assert.Equal(store.SchemaVersion, await Database.ScalarAsync("SELECT version FROM eventrouter_schema WHERE id = 1"));
        foreach (var table in new[] { "eventrouter_inbox", "eventrouter_outbox", "eventrouter_queue", "eventrouter_queue_listeners", "eventrouter_queue_retries", "eventrouter_dead_letters" })
        {
            Assert.Equal(0, await Database.ScalarAsync($"SELECT COUNT(*) FROM {table}"));
        }
    }

    [Fact]
    public async Task Initialize_ManyStoresAtOnce_MigrateOnceAndAllSucceed()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => Database.CreateStore()).ToArray();
        try
        {
            await Task.WhenAll(stores.Select(s => s.InitializeAsync())).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(1, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_schema"));
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Initialize_AgainOnAMigratedDatabase_KeepsItsData()
    {
        await using (var first = Database.CreateStore())
        {
            await first.Inbox.MarkCompletedAsync("order-1", "Listener", default);
        }
        await using var second = Database.CreateStore();
        await second.InitializeAsync();
        Assert.True(await second.Inbox.IsCompletedAsync("order-1", "Listener", default));
    }

    [Fact]
    public async Task Initialize_DatabaseAtVersion1WithAnUnfinishedEvent_MigratesAndTheLoopDeliversIt()
    {
        var journal = Journal.Current.Value = new Journal();
        await using (var old = Database.CreateStore())
        {
            // What the first version of the schema held: the tables of step 1, one event accepted and not finished.
            var sql = old.Backend.Sql;
            await Database.ExecuteAsync(sql.CreateSchemaTable);
            await Database.ExecuteAsync(sql.Migrations[0]);
            await Database.ExecuteAsync("INSERT INTO eventrouter_schema (id, version) VALUES (1, 1)");
            await Database.ExecuteAsync(
                """INSERT INTO eventrouter_queue (owner, event_name, event_id, payload, enqueued_at) VALUES ('tests', 'tests.durability.order-placed', 'order-1', '{"OrderId":"order-1","Customer":"alice","Amount":1}', 0)""");
        }

        await using var store = Database.CreateStore(new DurableStoreOptions { JsonContext = TestJson.Default, InstanceName = "tests" });
        var loop = new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions().UseDurableStore(store));
        loop.Start();
        await Eventually.WaitUntilAsync(() => loop.Counts.Handled == 1);
        await loop.StopAsync(System.Threading.Timeout.InfiniteTimeSpan);

        Assert.Equal(store.SchemaVersion, await Database.ScalarAsync("SELECT version FROM eventrouter_schema"));
        Assert.Equal(1, journal.Count(nameof(Billing)));
    }

    [Fact]
    public async Task Initialize_SchemaFromANewerVersion_ThrowsAClearErrorAndChangesNothing()
    {
        await using (var first = Database.CreateStore())
        {
            await first.Inbox.MarkCompletedAsync("order-1", "Listener", default);
        }
        await Database.ExecuteAsync("UPDATE eventrouter_schema SET version = 99");

        await using var store = Database.CreateStore();
        var error = await Assert.ThrowsAsync<DurableSchemaException>(() => store.InitializeAsync());
        Assert.Equal(99, error.FoundVersion);
        Assert.Equal(store.SchemaVersion, error.SupportedVersion);
        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
        Assert.Contains(Database.Backend, error.Message, StringComparison.Ordinal);

        // Every operation reports the same error rather than touching the data.
        await Assert.ThrowsAsync<DurableSchemaException>(() => store.Inbox.MarkCompletedAsync("order-2", "Listener", default).AsTask());
        await Assert.ThrowsAsync<DurableSchemaException>(() => store.Inbox.IsCompletedAsync("order-1", "Listener", default).AsTask());
        Assert.Equal(99, await Database.ScalarAsync("SELECT version FROM eventrouter_schema"));
        Assert.Equal(1, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_inbox"));
    }
}

public sealed class SqliteSchemaTests : SchemaTests
{
    protected override Task<TestDatabase> CreateDatabaseAsync() => Task.FromResult<TestDatabase>(new SqliteTestDatabase());
}

public sealed class PostgreSqlSchemaTests : SchemaTests
{
    protected override async Task<TestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();
}
