// The process the crash tests kill with SIGKILL at random points and start again. It places orders — straight into
// a durable dispatch loop ("loop"), through the transactional outbox and its relay into the loop ("outbox") or to
// RabbitMQ ("broker", marked sent after the broker's confirm) — and its listeners write their effect in the same
// transaction as their inbox record, so the database shows exactly how many times each listener's work took effect.
// "retry" places orders into the loop as "loop" does, but billing fails every attempt (one row in crash_attempts
// each) until the loop dead-letters it after its last attempt. "consume" places nothing: it consumes the orders a "publish" run sent to RabbitMQ, de-duplicated by the durable
// inbox ("consume") or by the in-memory store ("consume-memory", which also writes its records to the inbox table
// for the count below), and its listeners write one effect row per run that completed, outside any transaction — so
// the rows show how often a listener ran to completion for one order — and a row in crash_reruns for each run that
// started although the inbox table already recorded its completion. "send" sends one FulfilOrder command per order
// to the CrashFulfilment module served by another service (recording each command's message id in crash_commands
// once the broker confirmed it); "serve" serves that module with the durable inbox, its handler writing effects the
// way "consume" does.
//
//   dotnet DurabilityCrashChild.dll <sqlite|postgres> <connection string> <loop|retry|outbox|broker|publish|consume|consume-memory|send|serve> <from> <to> <produce|drain>
//
// The broker modes read the AMQP URI from ER_CRASH_BROKER and the service name from ER_CRASH_SERVICE (also the
// module's queue). It prints READY once recovered (and connected), ACCEPTED <i> after the loop accepted order i
// (loop), COMMITTED <i> after the transaction of order i committed (outbox, broker) or PUBLISHED <i> once the broker
// confirmed it (publish, send), and DONE when, in drain mode, nothing is left to deliver (consume: when every order
// from..to has both effects; serve: when every order has its fulfilment).
using System;
using System.Data.Common;
using System.Diagnostics;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.DispatchLoop;
using EventRouter.Durability;
using EventRouter.Durability.CrashChild;
using EventRouter.Generated;
using EventRouter.Modules;
using EventRouter.PostgreSql;
using EventRouter.RabbitMQ;
using EventRouter.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
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
var consume = mode is "consume" or "consume-memory" or "serve";
Effects.Transactional = !consume;
Effects.FailBilling = mode == "retry";

// The RabbitMQ bridge of the broker modes: a publisher (broker, publish) or a consumer of the order listeners' queues.
IBrokerPublisher? broker = null;
ServiceProvider? services = null;
CrashFulfilmentClient? fulfilment = null;
string? lastSentId = null;
if (mode is "broker" or "publish" or "send" || consume)
{
    var collection = new ServiceCollection();
    collection.AddEventRouter();
    var queue = Environment.GetEnvironmentVariable("ER_CRASH_SERVICE");
    if (mode == "serve")
    {
        collection.AddModuleServer<CrashFulfilment>();
    }
    collection.AddEventRouterRabbitMQ(o =>
    {
        o.ConnectionString = Environment.GetEnvironmentVariable("ER_CRASH_BROKER");
        o.ServiceName = Environment.GetEnvironmentVariable("ER_CRASH_SERVICE");
        o.JsonContext = ChildJson.Default;
        if (mode == "serve")
        {
            o.ServeModule<CrashFulfilment>(queue);
        }
        else if (mode == "send")
        {
            o.CallModule<CrashFulfilment>(queue);
        }
        else
        {
            o.CrossBroker("tests.crash.order");
        }
        o.Consume = consume;
        o.IdempotencyStore = mode == "consume-memory" ? new RecordingMemoryStore(store.Inbox) : store.Inbox;
        o.NetworkRecoveryInterval = TimeSpan.FromMilliseconds(200);
        o.ConsumerConcurrency = Consuming.Concurrency;
    });
    services = collection.BuildServiceProvider();
    foreach (var hosted in services.GetServices<IHostedService>())
    {
        await hosted.StartAsync(default);
    }
    broker = services.GetRequiredService<IBrokerPublisher>();
    if (mode == "send")
    {
        fulfilment = services.GetRequiredService<CrashFulfilmentClient>();
        // The message id of each command, from its send span (sends are one at a time), for the rerun check.
        ActivitySource.AddActivityListener(new ActivityListener
        {
            ShouldListenTo = source => source.Name == EventRouterDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("messaging.operation.name") as string == "send")
                {
                    lastSentId = activity.GetTagItem("messaging.message.id") as string;
                }
            },
        });
    }
}

var loop = new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions
{
    MaxParallelism = 2,
    RetryPolicy = mode == "retry"
        ? new RetryPolicy { MaxAttempts = Effects.RetryAttempts, InitialDelay = TimeSpan.FromMilliseconds(300), BackoffMultiplier = 1, Jitter = 0 }
        : new RetryPolicy { MaxAttempts = 100, InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(50) },
}.UseDurableStore(store));
await ((IHostedService)loop).StartAsync(default); // recovers what the previous run left unfinished
OutboxRelay? relay = null;
if (mode == "outbox")
{
    relay = new OutboxRelay(store, loop.EnqueueAsync, new OutboxRelayOptions { PollInterval = TimeSpan.FromMilliseconds(10), BatchSize = 20 });
    relay.Start();
}
else if (mode == "broker")
{
    // Returns once the broker confirmed the message: only then is the row marked sent.
    relay = new OutboxRelay(store, async (e, ct) => await broker!.PublishAsync(e, ct), new OutboxRelayOptions { PollInterval = TimeSpan.FromMilliseconds(10), BatchSize = 20 });
    relay.Start();
}
Console.WriteLine("READY");

for (var i = from; i < to && !consume; i++)
{
    var order = new CrashOrder($"order-{i}", $"customer-{i % 5}", i);
    if (mode == "publish")
    {
        await broker!.PublishAsync(order);
        Console.WriteLine($"PUBLISHED {i}");
    }
    else if (mode == "send")
    {
        await fulfilment!.SendAsync(new FulfilOrder(order.OrderId, i));
        await Effects.RecordCommandAsync(i, lastSentId!);
        Console.WriteLine($"PUBLISHED {i}");
    }
    else if (mode is "loop" or "retry")
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

if (mode is "publish" or "send")
{
    await services!.DisposeAsync();
    Console.WriteLine("DONE");
    return;
}
if (!drain)
{
    await Task.Delay(Timeout.Infinite); // until killed
}
if (mode == "serve")
{
    await Effects.WaitForFulfilmentAsync(from, to);
}
while (mode != "serve" && (consume
    ? await Effects.CompletedOrdersAsync(from, to) < to - from
    : await store.PendingEventsAsync() > 0 || await store.Outbox.PendingCountAsync() > 0))
{
    await Task.Delay(20);
}
if (services is not null)
{
    foreach (var hosted in services.GetServices<IHostedService>())
    {
        await hosted.StopAsync(default);
    }
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

    /// <summary>The command the "send" child sends to the module the "serve" child serves.</summary>
    public sealed record FulfilOrder(string OrderId, int Sequence);

    [JsonSerializable(typeof(CrashOrder))]
    [JsonSerializable(typeof(FulfilOrder))]
    public sealed partial class ChildJson : JsonSerializerContext;

    /// <summary>Fulfils orders, one command at a time; each run that completes writes one effect row.</summary>
    [ModuleServer]
    public sealed partial class CrashFulfilment : ICommandHandler<FulfilOrder>
    {
        public ValueTask HandleAsync(FulfilOrder command, CancellationToken cancellationToken) => Effects.FulfilAsync(command);
    }

    /// <summary>How many deliveries of one listener queue a consuming child runs at once.</summary>
    public static class Consuming
    {
        public const int Concurrency = 4;
    }

    /// <summary>Where the listeners write their effects: one row per run of a listener's work that took effect.</summary>
    public static class Effects
    {
        public static DurableStore Store { get; set; } = null!;

        public static Func<Task<DbConnection>> Open { get; set; } = null!;

        /// <summary>True: the effect commits with the listener's inbox record. False: one row per completed run, no transaction.</summary>
        public static bool Transactional { get; set; } = true;

        /// <summary>True: billing fails every attempt, after writing a row to crash_attempts.</summary>
        public static bool FailBilling { get; set; }

        /// <summary>The retry policy's attempts in "retry" mode.</summary>
        public const int RetryAttempts = 6;

        /// <summary>Billing's failing attempt: its row first (a kill can land after it), then the failure.</summary>
        public static async ValueTask FailAsync(CrashOrder order)
        {
            await Task.Yield();
            await using var connection = await Open();
            await using var command = connection.CreateCommand();
            command.CommandText = $"INSERT INTO crash_attempts (order_id, sequence) VALUES ('{order.OrderId}', {order.Sequence})";
            await command.ExecuteNonQueryAsync();
            throw new InvalidOperationException("card declined");
        }

        /// <summary>The orders in [from, to) that have an effect of both listeners.</summary>
        public static async Task<long> CompletedOrdersAsync(int from, int to)
        {
            await using var connection = await Open();
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(*) FROM (SELECT sequence FROM crash_effects WHERE sequence >= {from} AND sequence < {to} GROUP BY sequence HAVING COUNT(DISTINCT listener) = 2) AS done";
            return Convert.ToInt64(await command.ExecuteScalarAsync());
        }

        /// <summary>The orders in [from, to) that have a fulfilment effect.</summary>
        public static async Task<long> FulfilledOrdersAsync(int from, int to)
        {
            await using var connection = await Open();
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(DISTINCT sequence) FROM crash_effects WHERE listener = 'fulfilment' AND sequence >= {from} AND sequence < {to}";
            return Convert.ToInt64(await command.ExecuteScalarAsync());
        }

        /// <summary>
        /// Until every order in [from, to) is fulfilled, or no command ran for 10 s (commands lost: the test counts
        /// them instead of waiting for the child's guard).
        /// </summary>
        public static async Task WaitForFulfilmentAsync(int from, int to)
        {
            var (fulfilled, progressAt) = (-1L, DateTime.UtcNow);
            while (await FulfilledOrdersAsync(from, to) is var now && now < to - from)
            {
                if (now != fulfilled)
                {
                    (fulfilled, progressAt) = (now, DateTime.UtcNow);
                }
                else if (DateTime.UtcNow - progressAt > TimeSpan.FromSeconds(10))
                {
                    return;
                }
                await Task.Delay(20);
            }
        }

        /// <summary>Records the message id the broker confirmed for order <paramref name="sequence"/>'s command.</summary>
        public static async Task RecordCommandAsync(int sequence, string messageId)
        {
            await using var connection = await Open();
            await using var command = connection.CreateCommand();
            command.CommandText = $"INSERT INTO crash_commands (sequence, message_id) VALUES ({sequence}, '{messageId}')";
            await command.ExecuteNonQueryAsync();
        }

        /// <summary>
        /// The module's work: a row in crash_reruns first when the inbox already holds this command's completion (its
        /// key starts with the command's message id), then one effect row, outside any transaction.
        /// </summary>
        public static async ValueTask FulfilAsync(FulfilOrder command)
        {
            await Task.Delay(1); // a millisecond's work: the kills land while commands wait in the module's queue
            await using var connection = await Open();
            await using (var recorded = connection.CreateCommand())
            {
                recorded.CommandText = $"INSERT INTO crash_reruns (order_id, listener) SELECT '{command.OrderId}', 'fulfilment' WHERE EXISTS (SELECT 1 FROM eventrouter_inbox i JOIN crash_commands c ON i.event_id LIKE c.message_id || '#%' WHERE c.sequence = {command.Sequence} AND i.listener LIKE 'module:%')";
                await recorded.ExecuteNonQueryAsync();
            }
            await using var run = connection.CreateCommand();
            run.CommandText = $"INSERT INTO crash_effects (order_id, listener, customer, sequence) VALUES ('{command.OrderId}', 'fulfilment', '-', {command.Sequence})";
            await run.ExecuteNonQueryAsync();
        }

        public static async Task CreateTablesAsync(bool sqlite)
        {
            await using var connection = await Open();
            await using var command = connection.CreateCommand();
            var id = sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
            command.CommandText = $"""
                CREATE TABLE IF NOT EXISTS crash_effects (id {id}, order_id TEXT NOT NULL, listener TEXT NOT NULL, customer TEXT NOT NULL, sequence INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS crash_orders (id TEXT PRIMARY KEY, amount INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS crash_reruns (order_id TEXT NOT NULL, listener TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS crash_attempts (order_id TEXT NOT NULL, sequence INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS crash_commands (sequence INTEGER PRIMARY KEY, message_id TEXT NOT NULL);
                """;
            await command.ExecuteNonQueryAsync();
        }

        /// <summary>The listener's work: its effect and its inbox record commit together, or neither does.</summary>
        public static async ValueTask ApplyAsync(string listener, CrashOrder order)
        {
            await Task.Yield(); // a kill can land in the middle
            await using var connection = await Open();
            if (!Transactional)
            {
                await using (var recorded = connection.CreateCommand())
                {
                    // The consumer's inbox key starts with the message id (the order id); its listener name ends with the class name.
                    recorded.CommandText = $"INSERT INTO crash_reruns (order_id, listener) SELECT '{order.OrderId}', '{listener}' WHERE EXISTS (SELECT 1 FROM eventrouter_inbox WHERE event_id LIKE '{order.OrderId}#%' AND listener LIKE '%Crash{char.ToUpperInvariant(listener[0])}{listener[1..]}')";
                    await recorded.ExecuteNonQueryAsync();
                }
                await using var run = connection.CreateCommand();
                run.CommandText = $"INSERT INTO crash_effects (order_id, listener, customer, sequence) VALUES ('{order.OrderId}', '{listener}', '{order.Customer}', {order.Sequence})";
                await run.ExecuteNonQueryAsync();
                return;
            }
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

    /// <summary>The in-memory store a process forgets on restart; its records also go to the durable inbox table, to be counted.</summary>
    public sealed class RecordingMemoryStore(DurableInbox inbox) : IIdempotencyStore
    {
        private readonly InMemoryIdempotencyStore _memory = new(100_000);

        public ValueTask<bool> IsCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken) =>
            _memory.IsCompletedAsync(eventId, listenerName, cancellationToken);

        public async ValueTask MarkCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken)
        {
            await _memory.MarkCompletedAsync(eventId, listenerName, cancellationToken);
            await inbox.MarkCompletedAsync(eventId, listenerName, cancellationToken);
        }
    }

    [EventListener]
    public sealed class CrashBilling : IEventListener<CrashOrder>
    {
        public ValueTask HandleAsync(CrashOrder @event, CancellationToken cancellationToken) =>
            Effects.FailBilling ? Effects.FailAsync(@event) : Effects.ApplyAsync("billing", @event);
    }

    [EventListener]
    public sealed class CrashShipping : IEventListener<CrashOrder>
    {
        public ValueTask HandleAsync(CrashOrder @event, CancellationToken cancellationToken) => Effects.ApplyAsync("shipping", @event);
    }
}
