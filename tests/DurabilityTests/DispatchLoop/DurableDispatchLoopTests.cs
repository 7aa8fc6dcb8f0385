using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Durability.Tests.Infrastructure;
using EventRouter.Generated;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EventRouter.Durability.Tests.DispatchLoop;

[Collection(JournalCollection.Name)]
public abstract class DurableDispatchLoopTests : BackendTests
{
    protected static readonly string BillingName = typeof(Billing).FullName!;
    protected static readonly string ShippingName = typeof(Shipping).FullName!;

    protected DurableStore NewStore() => Database.CreateStore(new DurableStoreOptions { JsonContext = TestJson.Default, InstanceName = "tests" });

    protected static EventDispatchLoop NewLoop(DurableStore store, Action<DispatchLoopOptions>? configure = null)
    {
        var options = new DispatchLoopOptions { MaxParallelism = 2, RetryPolicy = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.Zero } }
            .UseDurableStore(store);
        configure?.Invoke(options);
        return new EventDispatchLoop(new EventDispatcher(), options);
    }

    [Fact]
    public async Task Enqueue_CompletesOnlyOnceTheEventIsStored_AndANewProcessDeliversIt()
    {
        var journal = Journal.Current.Value = new Journal();
        await using (var store = NewStore())
        {
            var loop = NewLoop(store); // never started: nothing is delivered in this "process"
            await loop.EnqueueAsync(new OrderPlaced("order-1", "alice", 1));
            await loop.EnqueueAsync(new OrderPlaced("order-2", "bob", 2));
            Assert.Equal(2, await store.PendingEventsAsync());
            Assert.Equal(2, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue"));
            loop.Dispose(); // stops at once: both come back undelivered, and stay stored
            Assert.Equal(2, loop.Counts.ReturnedUndelivered);
        }
        Assert.Empty(journal.Runs);

        await using var restarted = NewStore();
        var second = NewLoop(restarted);
        second.Start();
        await Eventually.WaitUntilAsync(() => second.Counts.Handled == 2);
        await second.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal(2, journal.Count(nameof(Billing)));
        Assert.Equal(2, journal.Count(nameof(Shipping)));
        await restarted.DisposeAsync(); // flushes the completion records
        Assert.Equal(0, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue"));
        Assert.Equal(0, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue_listeners"));
    }

    [Fact]
    public async Task Recovery_RunsOnlyTheListenersThatHadNotCompleted()
    {
        var journal = Journal.Current.Value = new Journal();
        var route = new EventDispatcher().GetRoute(typeof(OrderPlaced))!;
        await using (var crashed = NewStore())
        {
            // What a crash between the two listeners leaves behind.
            var position = await crashed.Journal.AppendAsync(new OrderPlaced("order-1", "alice", 1), route, default);
            await crashed.Journal.ListenerCompletedAsync(position, BillingName, default);
        }

        await using var store = NewStore();
        var loop = NewLoop(store, o => o.IdempotencyStore = new InMemoryIdempotencyStore()); // the journal alone decides
        await ((IHostedService)loop).StartAsync(default); // completes once recovered
        await Eventually.WaitUntilAsync(() => loop.Counts.Handled == 1);
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal(0, journal.Count(nameof(Billing)));
        Assert.Equal(1, journal.Count(nameof(Shipping)));
        Assert.Equal((1L, 1L, 1L), (loop.Counts.Accepted, loop.Counts.Handled, loop.Counts.Deduplicated));
    }

    [Fact]
    public async Task Enqueue_ConcurrentProducers_AreStoredInOneGroupCommit()
    {
        Journal.Current.Value = new Journal();
        await using var store = NewStore();
        var loop = NewLoop(store);
        await loop.EnqueueAsync(new OrderPlaced("warm-up", "alice", 0)); // schema and recovery done
        var before = store.Commits;

        Task[] enqueues;
        using (store.Writer.Pause())
        {
            enqueues = Enumerable.Range(1, 100).Select(i => Task.Run(() => loop.EnqueueAsync(new OrderPlaced($"order-{i}", $"customer-{i % 7}", i)).AsTask())).ToArray();
            await Eventually.WaitUntilAsync(() => store.Writer.Queued == 100);
            Assert.All(enqueues, e => Assert.False(e.IsCompleted)); // none is accepted before it is stored
        }
        await Task.WhenAll(enqueues).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, store.Commits - before);
        Assert.Equal(101, await store.PendingEventsAsync());
        Assert.Equal(101, loop.Counts.Accepted);
        loop.Dispose();
    }

    [Fact]
    public async Task DeadLetter_IsStoredQueryableAndReplaysOnlyTheListenerThatGaveUp()
    {
        var journal = Journal.Current.Value = new Journal { BillingFailuresPerOrder = 2 };
        await using var store = NewStore();
        var loop = NewLoop(store, o => o.RetryPolicy = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.Zero });
        loop.Start();

        await loop.EnqueueAsync(new OrderPlaced("order-1", "alice", 42));
        await Eventually.WaitUntilAsync(() => loop.Counts.DeadLettered == 1);

        var letters = await store.DeadLetters.ReadAsync();
        var letter = Assert.Single(letters);
        Assert.Equal(("tests.durability.order-placed", "order-1", BillingName, 2), (letter.EventName, letter.EventId, letter.Listener, letter.Attempts));
        Assert.Contains("card declined", letter.Error, StringComparison.Ordinal);
        Assert.Contains("42", letter.Payload, StringComparison.Ordinal);
        Assert.Equal(1, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_dead_letters WHERE event_id = 'order-1'"));
        await Eventually.WaitUntilAsync(async () => await store.PendingEventsAsync() == 0); // finished: dead-lettered

        Assert.True(await store.DeadLetters.ReplayAsync(letter.Id, loop)); // the card works now (third attempt)
        await Eventually.WaitUntilAsync(() => loop.Counts.Handled == 1);
        await loop.StopAsync(Timeout.InfiniteTimeSpan);

        Assert.Equal(1, journal.Count(nameof(Billing)));
        Assert.Equal(1, journal.Count(nameof(Shipping))); // completed before, skipped by the inbox on replay
        Assert.Empty(await store.DeadLetters.ReadAsync());
        Assert.False(await store.DeadLetters.ReplayAsync(letter.Id, loop));
    }

    [Fact]
    public async Task Inbox_SameEventIdInTwoProcesses_RunsEachListenerOnce()
    {
        var journal = Journal.Current.Value = new Journal();
        for (var process = 0; process < 2; process++)
        {
            await using var store = NewStore();
            var loop = NewLoop(store);
            loop.Start();
            await loop.EnqueueAsync(new OrderPlaced("order-1", "alice", 1)); // a redelivery in the second process
            await Eventually.WaitUntilAsync(() => loop.Counts.Handled == 1);
            await loop.StopAsync(Timeout.InfiniteTimeSpan);
        }
        Assert.Equal(1, journal.Runs[(nameof(Billing), "order-1")]);
        Assert.Equal(1, journal.Runs[(nameof(Shipping), "order-1")]);
    }

    [Fact]
    public async Task StopMidStream_ThenRestart_DeliversEveryEventOnceAndInOrderPerKey()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var journal = Journal.Current.Value = new Journal();
        const int Events = 300;
        var customers = new[] { "alice", "bob", "carol" };
        var stopAfter = random.Next(1, Events);

        await using (var first = NewStore())
        {
            var loop = NewLoop(first);
            loop.Start();
            for (var i = 0; i < Events; i++)
            {
                await loop.EnqueueAsync(new OrderPlaced($"order-{i}", customers[i % 3], i));
                if (i == stopAfter)
                {
                    // Mid-stream: stops at once, with events queued and a delivery perhaps in progress.
                    _ = loop.StopAsync(TimeSpan.Zero);
                    break;
                }
            }
            var undelivered = await loop.StopAsync(TimeSpan.Zero);
            var counts = loop.Counts;
            Assert.True(counts.Handled + counts.DeadLettered + counts.ReturnedUndelivered == counts.Accepted, $"seed {seed}: {counts}");
            Assert.Equal(counts.ReturnedUndelivered, undelivered.Count);
        }

        await using (var second = NewStore())
        {
            var loop = NewLoop(second);
            loop.Start();
            for (var i = stopAfter + 1; i < Events; i++)
            {
                await loop.EnqueueAsync(new OrderPlaced($"order-{i}", customers[i % 3], i));
            }
            await Eventually.WaitUntilAsync(() => journal.Count(nameof(Billing)) >= Events);
            await loop.StopAsync(Timeout.InfiniteTimeSpan);
            Assert.Equal(0, loop.Counts.DeadLettered);
        }

        for (var i = 0; i < Events; i++)
        {
            Assert.True(journal.Runs.TryGetValue((nameof(Billing), $"order-{i}"), out var billed) && billed == 1, $"seed {seed}: order-{i} billed {billed} times");
            Assert.True(journal.Runs.TryGetValue((nameof(Shipping), $"order-{i}"), out var shipped) && shipped == 1, $"seed {seed}: order-{i} shipped {shipped} times");
        }
        foreach (var customer in customers)
        {
            var amounts = journal.Sequence.Where(s => s.Customer == customer).Select(s => s.Amount).ToArray();
            Assert.True(amounts.SequenceEqual(amounts.Order()), $"seed {seed}: {customer} out of order: {string.Join(",", amounts)}");
        }
        Assert.Equal(0, await Database.ScalarAsync("SELECT COUNT(*) FROM eventrouter_queue"));
    }

    [Fact]
    public void TryEnqueue_OnADurableLoop_IsRefused()
    {
        var store = NewStore();
        var loop = NewLoop(store);
        Assert.Throws<NotSupportedException>(() => loop.TryEnqueue(new OrderPlaced("order-1", "alice", 1)));
        Assert.Throws<ArgumentException>(() => new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions { FullMode = QueueFullMode.DropOldest }.UseDurableStore(store)));
    }

    [Fact]
    public async Task Hosted_StoreDownAtStart_FailsTheHostStartWithTheStoresError()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services
            .AddEventRouter()
            .AddSqliteStore("Data Source=/nonexistent-folder/er/store.db", o => o.JsonContext = TestJson.Default)
            .AddDurableDispatchLoop();
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<DurableStoreException>(() => host.StartAsync());
        Assert.Contains("/nonexistent-folder/er/store.db", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hosted_OutboxToDurableLoop_DeliversACommittedOrderOnceAcrossARestart()
    {
        var journal = Journal.Current.Value = new Journal();
        for (var run = 0; run < 2; run++)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Services
                .AddEventRouter()
                .AddSingleton<DurableStore>(_ => NewStore())
                .AddDurableDispatchLoop()
                .AddOutboxRelayToDispatchLoop(o => o.PollInterval = TimeSpan.FromMilliseconds(20));
            builder.Services.AddHostedService(static p => new DurableStoreInitializer(p.GetRequiredService<DurableStore>()));
            using var host = builder.Build();
            await host.StartAsync();
            var store = host.Services.GetRequiredService<DurableStore>();
            if (run == 0)
            {
                await using var connection = await Database.OpenAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                await store.Outbox.PublishAsync(new OrderPlaced("order-1", "alice", 1), transaction);
                await transaction.CommitAsync();
                host.Services.GetRequiredService<OutboxRelay>().Wake();
            }
            await Eventually.WaitUntilAsync(() => journal.Count(nameof(Shipping)) == 1);
            await host.StopAsync();
        }
        Assert.Equal(1, journal.Runs[(nameof(Billing), "order-1")]);
        Assert.Equal(1, journal.Runs[(nameof(Shipping), "order-1")]);
    }

    /// <summary>The store of these tests is registered by hand (to pick the backend), so it is initialized by hand too.</summary>
    private sealed class DurableStoreInitializer(DurableStore store) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>The journal tests share the listeners' static <see cref="Journal.Current"/> flow; they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class JournalCollection
{
    public const string Name = "journal";
}

public sealed class SqliteDurableDispatchLoopTests : DurableDispatchLoopTests
{
    protected override Task<TestDatabase> CreateDatabaseAsync() => Task.FromResult<TestDatabase>(new SqliteTestDatabase());
}

public sealed class PostgreSqlDurableDispatchLoopTests : DurableDispatchLoopTests
{
    protected override async Task<TestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();
}
