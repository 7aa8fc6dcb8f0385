using System;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Durability.Tests.Infrastructure;
using EventRouter.Generated;
using Microsoft.Extensions.Hosting;

namespace EventRouter.Durability.Tests.DispatchLoop;

/// <summary>
/// What a durable loop keeps of time across a restart, on a manual clock: a listener's retry (its failed attempts
/// and the next attempt's time) and a scheduled event's due time. A "restart" is a new store and a new loop on the
/// same database after the first loop stopped at once (the event stays stored, as after a crash).
/// </summary>
[Collection(JournalCollection.Name)]
public abstract class DurableScheduleTests : BackendTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private DurableStore NewStore() => Database.CreateStore(new DurableStoreOptions { JsonContext = TestJson.Default, InstanceName = "tests" });

    private static EventDispatchLoop NewLoop(DurableStore store, TimeProvider time, RetryPolicy? retries = null) =>
        new(new EventDispatcher(), new DispatchLoopOptions { MaxParallelism = 2, TimeProvider = time, RetryPolicy = retries ?? RetryPolicy.Default }.UseDurableStore(store));

    [Fact]
    public async Task RetrySchedule_SurvivesARestart_AttemptsContinueAndTheDeadLetterComesAfterMaxAttemptsInAll()
    {
        var journal = Journal.Current.Value = new Journal { BillingFailuresPerOrder = int.MaxValue };
        var time = new ManualTimeProvider(Start);
        var policy = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromSeconds(10), BackoffMultiplier = 1, Jitter = 0 };

        // First process: attempt 1 fails, the retry is due at +10 s; the process ends before it.
        await using (var store = NewStore())
        {
            var loop = NewLoop(store, time, policy);
            loop.Start();
            await loop.EnqueueAsync(new OrderPlaced("order-1", "alice", 1));
            await Eventually.WaitUntilAsync(async () => await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue_retries WHERE attempts = 1") == 1);
            loop.Dispose();
        }
        Assert.Equal(1, journal.BillingAttempts["order-1"]);
        Assert.Equal(Start.AddSeconds(10).ToUnixTimeMilliseconds(), await Database.ScalarAsync("SELECT due_at FROM eventrouter_queue_retries"));

        // Second process: shipping completed before, billing waits for its retry's time, not for a new first attempt.
        await using (var store = NewStore())
        {
            var loop = NewLoop(store, time, policy);
            await ((IHostedService)loop).StartAsync(default);
            await Eventually.WaitUntilAsync(() => loop.Counts.Deduplicated == 1 && time.ActiveTimers > 0);
            time.Advance(TimeSpan.FromSeconds(9));
            Assert.Equal(1, journal.BillingAttempts["order-1"]); // the timer it waits on is not due: nothing ran before its time
            time.Advance(TimeSpan.FromSeconds(1));
            await Eventually.WaitUntilAsync(async () => await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue_retries WHERE attempts = 2") == 1);
            Assert.Equal(2, journal.BillingAttempts["order-1"]);
            loop.Dispose();
        }

        // Third process: the third attempt is the last one in all, so the dead letter says 3 attempts.
        await using (var store = NewStore())
        {
            var loop = NewLoop(store, time, policy);
            await ((IHostedService)loop).StartAsync(default);
            await Eventually.WaitUntilAsync(() => time.ActiveTimers > 0);
            time.Advance(TimeSpan.FromSeconds(10));
            await Eventually.WaitUntilAsync(() => loop.Counts.DeadLettered == 1);
            await loop.StopAsync(Timeout.InfiniteTimeSpan);
            var letter = Assert.Single(await store.DeadLetters.ReadAsync());
            Assert.Equal((typeof(Billing).FullName, 3), (letter.Listener, letter.Attempts));
        }
        Assert.Equal(3, journal.BillingAttempts["order-1"]);
        Assert.Equal(1, journal.Count(nameof(Shipping)));
        Assert.Equal(0, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue"));
        Assert.Equal(0, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue_retries"));
    }

    [Fact]
    public async Task ScheduledEvent_SurvivesARestart_RunsAtItsDueTimeNotBefore_AndACancelledOneNeverRuns()
    {
        var journal = Journal.Current.Value = new Journal();
        var time = new ManualTimeProvider(Start);

        await using (var store = NewStore())
        {
            var loop = NewLoop(store, time);
            loop.Start();
            var later = await loop.EnqueueAsync(new OrderPlaced("order-later", "alice", 1), TimeSpan.FromMinutes(10));
            var canceled = await loop.EnqueueAsync(new OrderPlaced("order-canceled", "bob", 2), Start.AddMinutes(5));
            Assert.Equal(2, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue WHERE due_at IS NOT NULL"));
            Assert.True(canceled.Cancel());
            Assert.True(later.IsPending);
            await Eventually.WaitUntilAsync(async () => await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue") == 1);
            loop.Dispose(); // the pending one is returned undelivered and stays stored
            Assert.Equal(1, loop.Counts.ReturnedUndelivered);
        }
        Assert.Empty(journal.Runs);

        await using (var store = NewStore())
        {
            var loop = NewLoop(store, time);
            await ((IHostedService)loop).StartAsync(default);
            Assert.Equal(1, loop.ScheduledCount);
            time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromMilliseconds(1));
            Assert.Equal(1, loop.ScheduledCount); // not due: still waiting in the schedule, not in the queue
            Assert.Empty(journal.Runs);
            time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Equal(0, loop.ScheduledCount);
            await Eventually.WaitUntilAsync(() => loop.Counts.Handled == 1);
            await loop.StopAsync(Timeout.InfiniteTimeSpan);
            Assert.Equal((1L, 1L, 1L, 0L), (loop.Counts.Accepted, loop.Counts.Scheduled, loop.Counts.Handled, loop.Counts.InFlight));
        }
        Assert.Equal(1, journal.Count(nameof(Billing)));
        Assert.Equal(1, journal.Count(nameof(Shipping)));
        Assert.False(journal.Runs.ContainsKey((nameof(Billing), "order-canceled")));
        Assert.Equal(0, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue"));
    }
}

public sealed class SqliteDurableScheduleTests : DurableScheduleTests
{
    protected override Task<TestDatabase> CreateDatabaseAsync() => Task.FromResult<TestDatabase>(new SqliteTestDatabase());
}

public sealed class PostgreSqlDurableScheduleTests : DurableScheduleTests
{
    protected override async Task<TestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();
}
