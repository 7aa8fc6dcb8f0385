using System;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Durability.Tests.Infrastructure;
using EventRouter.Durability.Tests.Outbox;
using EventRouter.Generated;
using EventRouter.PostgreSql;
using EventRouter.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EventRouter.Durability.Tests.Store;

/// <summary>The store's health check and gauges: reachable, relay lag, dead letters, pending events, batch size.</summary>
public abstract class StoreHealthTests : BackendTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    protected abstract DurableStore CreateUnreachableStore();

    [Fact]
    public async Task HealthCheck_ReportsRelayLagAndNewDeadLetters_DegradedUntilTheyAreDealtWith()
    {
        var time = new ManualTimeProvider(Start);
        await using var store = Database.CreateStore(new DurableStoreOptions { JsonContext = TestJson.Default, TimeProvider = time, InstanceName = "health" });
        store.UseDispatcher(new EventDispatcher());
        await using var connection = await OutboxTests.OpenWithOrdersTableAsync(Database, store);
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton(store);
        services.AddHealthChecks().AddEventRouterStore(TimeSpan.FromSeconds(30));
        await using var provider = services.BuildServiceProvider();
        var health = provider.GetRequiredService<HealthCheckService>();

        var report = (await health.CheckHealthAsync()).Entries["eventrouter-store"];
        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal(0L, report.Data["unsentOutboxEvents"]);

        // A committed outbox event nobody relays: fine for 30 s, then degraded.
        await OutboxTests.PlaceOrderAsync(store, connection, new OrderPlaced("order-1", "alice", 1), commit: true);
        time.Advance(TimeSpan.FromSeconds(30));
        report = (await health.CheckHealthAsync()).Entries["eventrouter-store"];
        Assert.Equal((HealthStatus.Healthy, 1L, 30.0), (report.Status, (long)report.Data["unsentOutboxEvents"], (double)report.Data["relayLagSeconds"]));
        time.Advance(TimeSpan.FromSeconds(1));
        report = (await health.CheckHealthAsync()).Entries["eventrouter-store"];
        Assert.Equal(HealthStatus.Degraded, report.Status);
        Assert.Contains("waited", report.Description, StringComparison.Ordinal);

        await using (var relay = new OutboxRelay(store, (_, _) => default))
        {
            Assert.Equal(1, await relay.RelayOnceAsync());
        }
        report = (await health.CheckHealthAsync()).Entries["eventrouter-store"];
        Assert.Equal((HealthStatus.Healthy, 0.0), (report.Status, (double)report.Data["relayLagSeconds"]));

        // A dead letter: degraded at the next check, healthy again at the one after.
        var listener = new EventDispatcher().GetRoute(typeof(OrderPlaced))!.Listeners[0];
        await store.DeadLetters.WriteAsync(new DeadLetter(new OrderPlaced("order-2", "bob", 2), "tests.durability.order-placed", "order-2", listener, new InvalidOperationException("card declined"), 3), default);
        report = (await health.CheckHealthAsync()).Entries["eventrouter-store"];
        Assert.Equal((HealthStatus.Degraded, 1L), (report.Status, (long)report.Data["deadLetters"]));
        report = (await health.CheckHealthAsync()).Entries["eventrouter-store"];
        Assert.Equal(HealthStatus.Healthy, report.Status);
    }

    [Fact]
    public async Task HealthCheck_DatabaseUnreachable_IsUnhealthyWithTheStoresError()
    {
        await using var store = CreateUnreachableStore();
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton(store);
        services.AddHealthChecks().AddEventRouterStore();
        await using var provider = services.BuildServiceProvider();

        var report = (await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["eventrouter-store"];
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.IsType<DurableStoreException>(report.Exception);
        Assert.Contains(store.ToString(), report.Description, StringComparison.Ordinal);
        Assert.Equal([EventRouterHealthChecksBuilderExtensions.ReadyTag], report.Tags);
    }

    [Fact]
    public async Task Gauges_ReportTheLastStatus_AndTheBatchSizeOfEachGroupCommit()
    {
        var instance = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        await using var store = Database.CreateStore(new DurableStoreOptions { JsonContext = TestJson.Default, InstanceName = instance });
        var loop = new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions().UseDurableStore(store)); // never started
        await store.InitializeAsync();

        var measured = new ConcurrentDictionary<string, double>();
        var batches = new ConcurrentBag<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EventRouterDiagnostics.MeterName && instrument.Name.StartsWith("eventrouter.store.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (tags.ToArray().Any(t => t.Key == "eventrouter.instance" && (string?)t.Value == instance))
            {
                measured[instrument.Name] = value;
            }
        });
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (tags.ToArray().Any(t => t.Key == "eventrouter.instance" && (string?)t.Value == instance))
            {
                batches.Add(value);
            }
        });
        listener.Start();

        await loop.EnqueueAsync(new OrderPlaced("order-0", "alice", 0)); // recovery done: the next five wait only for the writer
        Task[] enqueues;
        using (store.Writer.Pause())
        {
            enqueues = Enumerable.Range(1, 4).Select(i => loop.EnqueueAsync(new OrderPlaced($"order-{i}", "alice", i)).AsTask()).ToArray();
            await Eventually.WaitUntilAsync(() => store.Writer.Queued == 4);
        }
        await Task.WhenAll(enqueues).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains(4L, batches); // the four waiting enqueues, committed together

        var status = await store.GetStatusAsync();
        Assert.Equal(new DurableStoreStatus(5, 0, TimeSpan.Zero, 0), status);
        listener.RecordObservableInstruments();
        Assert.Equal(5.0, measured["eventrouter.store.pending"]);
        Assert.Equal(0.0, measured["eventrouter.store.outbox_pending"]);
        Assert.Equal(0.0, measured["eventrouter.store.relay_lag"]);
        Assert.Equal(0.0, measured["eventrouter.store.dead_letters"]);
        loop.Dispose();
    }
}

public sealed class SqliteStoreHealthTests : StoreHealthTests
{
    protected override Task<TestDatabase> CreateDatabaseAsync() => Task.FromResult<TestDatabase>(new SqliteTestDatabase());

    protected override DurableStore CreateUnreachableStore() =>
        SqliteStore.Create($"Data Source={System.IO.Path.Combine(System.IO.Path.GetTempPath(), "er-missing-" + Guid.NewGuid().ToString("N"), "store.db")}");
}

public sealed class PostgreSqlStoreHealthTests : StoreHealthTests
{
    protected override async Task<TestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();

    // Nothing listens on port 1 of localhost.
    protected override DurableStore CreateUnreachableStore() => PostgreSqlStore.Create("Host=localhost;Port=1;Username=postgres;Database=app;Timeout=5", null);
}
