// The process the crash tests kill with SIGKILL at random points and start again. It places orders — straight into
// a durable dispatch loop ("loop"), or through the transactional outbox and its relay ("outbox") — and its
// listeners write their effect in the same transaction as their inbox record, so the database shows exactly how
// many times each listener's work took effect.
//
//   dotnet DurabilityCrashChild.dll <sqlite|postgres> <connection string> <loop|outbox> <from> <to> <produce|drain>
//
// It prints READY once recovered, ACCEPTED <i> after the loop accepted order i (loop) or COMMITTED <i> after the
// transaction of order i committed (outbox), and DONE when, in drain mode, nothing is left to deliver.
using System;
using System.Data.Common;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.DispatchLoop;
using EventRouter.Durability;
using EventRouter.Durability.CrashChild;
using EventRouter.Generated;
using EventRouter.PostgreSql;
using EventRouter.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Npgsql;

var (backend, connectionString, mode, from, to, drain) = (args[0], args[1], args[2], int.Parse(args[3]), int.Parse(args[4]), args[5] == "drain");
var sqlite = backend == "sqlite";
var options = new DurableStoreOptions { JsonContext = ChildJson.Default, InstanceName = "crash-child" };
await using var store = sqlite ? SqliteStore.Create(connectionString, options) : PostgreSqlStore.Create(connectionString, options);
await store.InitializeAsync();
Effects.Store = store;
Effects.Open = sqlite
    ? async () => { var c = new SqliteConnection(connectionString); await c.OpenAsync(); return c; }
    : async () => { var c = new NpgsqlConnection(connectionString); await c.OpenAsync(); return c; };
await Effects.CreateTablesAsync(sqlite);

var loop = new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions
{
    MaxParallelism = 2,
    RetryPolicy = new RetryPolicy { MaxAttempts = 100, InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(50) },
}.UseDurableStore(store));
await ((IHostedService)loop).StartAsync(default); // recovers what the previous run left unfinished
OutboxRelay? relay = null;
if (mode == "outbox")
{
    relay = new OutboxRelay(store, loop.EnqueueAsync, new OutboxRelayOptions { PollInterval = TimeSpan.FromMilliseconds(10), BatchSize = 20 });
    relay.Start();
}
Console.WriteLine("READY");

for (var i = from; i < to; i++)
{
    var order = new CrashOrder($"order-{i}", $"customer-{i % 5}", i);
    if (mode == "loop")
    {
        await loop.EnqueueAsync(order);
        Console.WriteLine($"ACCEPTED {i}");
    }
    else
    {
        await using var connection = await Effects.Open();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            // An order whose commit the previous run could not report is placed again: the inbox absorbs its second event.
            insert.CommandText = $"INSERT INTO crash_orders (id, amount) VALUES ('{order.OrderId}', {i}) ON CONFLICT DO NOTHING";
            await insert.ExecuteNonQueryAsync();
        }
        await store.Outbox.PublishAsync(order, transaction);
        await transaction.CommitAsync();
        Console.WriteLine($"COMMITTED {i}");
        relay!.Wake();
    }
}

if (!drain)
{
    await Task.Delay(Timeout.Infinite); // until killed
}
while (await store.PendingEventsAsync() > 0 || await store.Outbox.PendingCountAsync() > 0)
{
    await Task.Delay(20);
}
if (relay is not null)
{
    await relay.StopAsync();
}
await loop.StopAsync(Timeout.InfiniteTimeSpan);
Console.WriteLine("DONE");

namespace EventRouter.Durability.CrashChild
{
    [Event("tests.crash.order")]
    public sealed record CrashOrder([property: EventId] string OrderId, [property: PartitionKey] string Customer, int Sequence);

    [JsonSerializable(typeof(CrashOrder))]
    public sealed partial class ChildJson : JsonSerializerContext;

    /// <summary>Where the listeners write their effects: one row per run of a listener's work that took effect.</summary>
    public static class Effects
    {
        public static DurableStore Store { get; set; } = null!;

        public static Func<Task<DbConnection>> Open { get; set; } = null!;

        public static async Task CreateTablesAsync(bool sqlite)
        {
            await using var connection = await Open();
            await using var command = connection.CreateCommand();
            var id = sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
            command.CommandText = $"""
                CREATE TABLE IF NOT EXISTS crash_effects (id {id}, order_id TEXT NOT NULL, listener TEXT NOT NULL, customer TEXT NOT NULL, sequence INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS crash_orders (id TEXT PRIMARY KEY, amount INTEGER NOT NULL);
                """;
            await command.ExecuteNonQueryAsync();
        }

        /// <summary>The listener's work: its effect and its inbox record commit together, or neither does.</summary>
        public static async ValueTask ApplyAsync(string listener, CrashOrder order)
        {
            await Task.Yield(); // a kill can land in the middle
            await using var connection = await Open();
            await using var transaction = await connection.BeginTransactionAsync();
            if (!await Store.Inbox.TryMarkCompletedAsync(transaction, order.OrderId, listener))
            {
                return; // done before a crash: its effect is already there
            }
            await using (var insert = connection.CreateCommand())
            {
                insert.Transaction = transaction;
                insert.CommandText = $"INSERT INTO crash_effects (order_id, listener, customer, sequence) VALUES ('{order.OrderId}', '{listener}', '{order.Customer}', {order.Sequence})";
                await insert.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
        }
    }

    [EventListener]
    public sealed class CrashBilling : IEventListener<CrashOrder>
    {
        public ValueTask HandleAsync(CrashOrder @event, CancellationToken cancellationToken) => Effects.ApplyAsync("billing", @event);
    }

    [EventListener]
    public sealed class CrashShipping : IEventListener<CrashOrder>
    {
        public ValueTask HandleAsync(CrashOrder @event, CancellationToken cancellationToken) => Effects.ApplyAsync("shipping", @event);
    }
}
