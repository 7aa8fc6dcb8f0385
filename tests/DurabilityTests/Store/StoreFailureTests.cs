using System;
using System.IO;
using System.Threading.Tasks;
using EventRouter.PostgreSql;
using EventRouter.Sqlite;
using Microsoft.Data.Sqlite;

namespace EventRouter.Durability.Tests.Store;

public sealed class StoreFailureTests
{
    [Fact]
    public async Task Sqlite_FileThatCannotBeCreated_FailsWithAClearErrorAndTheNextCallTriesAgain()
    {
        var folder = Path.Combine(Path.GetTempPath(), "er-durability-" + Guid.NewGuid().ToString("N"));
        var file = Path.Combine(folder, "missing-folder", "store.db");
        await using var store = SqliteStore.Create($"Data Source={file}");
        try
        {
            var error = await Assert.ThrowsAsync<DurableStoreException>(() => store.InitializeAsync());
            Assert.Contains($"SQLite store at {file}", error.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<DurableStoreException>(() => store.Inbox.MarkCompletedAsync("order-1", "Billing", default).AsTask());

            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await store.InitializeAsync();
            await store.Inbox.MarkCompletedAsync("order-1", "Billing", default);
            Assert.True(await store.Inbox.IsCompletedAsync("order-1", "Billing", default));
        }
        finally
        {
            await store.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Sqlite_DatabaseLockedByAnotherWriter_FailsTheWriteAsTransientAndLosesNothingElse()
    {
        await using var database = new Infrastructure.SqliteTestDatabase();
        // A short busy timeout: the write gives up after a second instead of thirty.
        await using var store = SqliteStore.Create(database.ConnectionString + ";Default Timeout=1");
        await store.Inbox.MarkCompletedAsync("order-1", "Billing", default);

        await using (var other = await database.OpenAsync())
        {
            await using var command = other.CreateCommand();
            command.CommandText = "BEGIN EXCLUSIVE";
            await command.ExecuteNonQueryAsync();

            var error = await Assert.ThrowsAsync<DurableStoreException>(() => store.Inbox.MarkCompletedAsync("order-2", "Billing", default).AsTask());
            Assert.True(error.IsTransient, error.ToString());
            Assert.Contains("SQLite store at", error.Message, StringComparison.Ordinal);

            command.CommandText = "ROLLBACK";
            await command.ExecuteNonQueryAsync();
        }

        // The writer carries on once the lock is gone; the failed write was reported, not half-done.
        await store.Inbox.MarkCompletedAsync("order-3", "Billing", default);
        Assert.True(await store.Inbox.IsCompletedAsync("order-1", "Billing", default));
        Assert.False(await store.Inbox.IsCompletedAsync("order-2", "Billing", default));
        Assert.True(await store.Inbox.IsCompletedAsync("order-3", "Billing", default));
    }

    [Fact]
    public async Task Sqlite_InMemoryDatabase_IsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => SqliteStore.Create("Data Source=:memory:"));
        Assert.Contains("database file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgreSql_ServerDown_FailsWithAClearTransientError()
    {
        // Nothing listens on port 1 of localhost.
        await using var store = PostgreSqlStore.Create("Host=localhost;Port=1;Username=postgres;Database=app;Timeout=5", null);
        var error = await Assert.ThrowsAsync<DurableStoreException>(() => store.InitializeAsync());
        Assert.True(error.IsTransient, error.ToString());
        Assert.Contains("PostgreSQL store at localhost:1/app", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<DurableStoreException>(() => store.Inbox.IsCompletedAsync("order-1", "Billing", default).AsTask());
    }
}
