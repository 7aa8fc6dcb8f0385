using System;
using System.Linq;
using System.Threading.Tasks;
using EventRouter.Durability.Tests.Infrastructure;

namespace EventRouter.Durability.Tests.Inbox;

public abstract class InboxTests : BackendTests
{
    [Fact]
    public async Task MarkCompleted_ThenIsCompleted_SurvivesARestartOfTheStore()
    {
        await using (var store = Database.CreateStore())
        {
            Assert.False(await store.Inbox.IsCompletedAsync("order-1", "Billing", default));
            await store.Inbox.MarkCompletedAsync("order-1", "Billing", default);
            Assert.True(await store.Inbox.IsCompletedAsync("order-1", "Billing", default));
        }

        await using var restarted = Database.CreateStore();
        Assert.True(await restarted.Inbox.IsCompletedAsync("order-1", "Billing", default));
        Assert.False(await restarted.Inbox.IsCompletedAsync("order-1", "Shipping", default)); // per listener
        Assert.False(await restarted.Inbox.IsCompletedAsync("order-2", "Billing", default));  // per event id
    }

    [Fact]
    public async Task MarkCompleted_Twice_RecordsOneCompletion()
    {
        await using var store = Database.CreateStore();
        await store.Inbox.MarkCompletedAsync("order-1", "Billing", default);
        await store.Inbox.MarkCompletedAsync("order-1", "Billing", default);
        Assert.Equal(1, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_inbox"));
    }

    [Fact]
    public async Task MarkCompleted_ConcurrentMarks_AreCommittedTogether()
    {
        await using var store = Database.CreateStore();
        await store.InitializeAsync();
        var before = store.Commits;

        Task[] marks;
        using (store.Writer.Pause())
        {
            marks = Enumerable.Range(0, 200).Select(i => store.Inbox.MarkCompletedAsync($"order-{i}", "Billing", default).AsTask()).ToArray();
        }
        await Task.WhenAll(marks).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, store.Commits - before); // one transaction for the 200 waiting marks
        Assert.Equal(200, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_inbox"));
    }

    [Fact]
    public async Task TryMarkCompleted_InACommittedTransaction_RecordsOnceAndThenReportsDone()
    {
        await using var store = Database.CreateStore();
        await store.InitializeAsync();
        await using var connection = await Database.OpenAsync();

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            Assert.True(await store.Inbox.TryMarkCompletedAsync(transaction, "order-1", "Billing"));
            await transaction.CommitAsync();
        }
        await using (var again = await connection.BeginTransactionAsync())
        {
            Assert.False(await store.Inbox.TryMarkCompletedAsync(again, "order-1", "Billing"));
            await again.CommitAsync();
        }

        Assert.True(await store.Inbox.IsCompletedAsync("order-1", "Billing", default));
        Assert.Equal(1, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_inbox"));
    }

    [Fact]
    public async Task TryMarkCompleted_InARolledBackTransaction_RecordsNothing()
    {
        await using var store = Database.CreateStore();
        await store.InitializeAsync();
        await using var connection = await Database.OpenAsync();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            Assert.True(await store.Inbox.TryMarkCompletedAsync(transaction, "order-1", "Billing"));
            await transaction.RollbackAsync();
        }

        Assert.False(await store.Inbox.IsCompletedAsync("order-1", "Billing", default));
        await using var retry = await connection.BeginTransactionAsync();
        Assert.True(await store.Inbox.TryMarkCompletedAsync(retry, "order-1", "Billing"));
    }

    [Fact]
    public async Task TryMarkCompleted_BeforeTheStoreIsInitialized_ThrowsInsteadOfWaitingForTheCallersOwnLock()
    {
        await using var store = Database.CreateStore();
        await using var connection = await Database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.Inbox.TryMarkCompletedAsync(transaction, "order-1", "Billing"));
        Assert.Contains("InitializeAsync", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cleanup_DeletesOnlyCompletionsOlderThanTheRetention()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var store = Database.CreateStore(new DurableStoreOptions { TimeProvider = time, InboxRetention = TimeSpan.FromDays(7) });
        await store.Inbox.MarkCompletedAsync("old", "Billing", default);
        time.Advance(TimeSpan.FromDays(6));
        await store.Inbox.MarkCompletedAsync("recent", "Billing", default);
        time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));

        Assert.Equal(1, await store.CleanupAsync());

        Assert.False(await store.Inbox.IsCompletedAsync("old", "Billing", default));
        Assert.True(await store.Inbox.IsCompletedAsync("recent", "Billing", default));
    }
}

public sealed class SqliteInboxTests : InboxTests
{
    protected override Task<TestDatabase> CreateDatabaseAsync() => Task.FromResult<TestDatabase>(new SqliteTestDatabase());
}

public sealed class PostgreSqlInboxTests : InboxTests
{
    protected override async Task<TestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();
}
