// The outbox sample: a shop places orders into SQLite, each order and its OrderPlaced event in one transaction (the
// transactional outbox). A relay moves committed events into a durable dispatch loop; its listeners write an invoice
// and a shipment, each in the same transaction as its inbox record. Half-way, the shop kills itself (SIGKILL: no
// cleanup of any kind) and is started again. At the end every order has exactly one invoice and one shipment.
//
// Run without arguments: it starts the shop twice as a child process on a fresh database file and prints the result.
using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Diagnostics;
using System.IO;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.Durability;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OutboxSample;

const int Orders = 20;

if (args is ["shop", var file, var from, var to, var crash])
{
    await Shop.RunAsync(file, int.Parse(from), int.Parse(to), crash == "crash");
    return 0;
}

var database = Path.Combine(Path.GetTempPath(), $"outbox-sample-{Guid.NewGuid():N}.db");
try
{
    Console.WriteLine($"== 1. The shop places orders 1-{Orders / 2}, then kills itself before it has delivered them all ==");
    var first = await RunShopAsync(database, 1, Orders / 2, crash: true);
    Console.WriteLine($"   the shop process ended with exit code {first} (killed)");

    Console.WriteLine($"== 2. The shop starts again: it recovers, and places orders {Orders / 2 + 1}-{Orders} ==");
    var second = await RunShopAsync(database, Orders / 2 + 1, Orders, crash: false);
    Console.WriteLine($"   the shop process ended with exit code {second}");

    Console.WriteLine("== 3. What the database holds ==");
    return await Report.PrintAsync(database, Orders) && second == 0 ? 0 : 1;
}
finally
{
    SqliteConnection.ClearAllPools();
    foreach (var path in new[] { database, database + "-wal", database + "-shm" })
    {
        File.Delete(path);
    }
}

static async Task<int> RunShopAsync(string database, int from, int to, bool crash)
{
    // Start this same program again, as the shop.
    var self = Environment.ProcessPath!;
    var start = new ProcessStartInfo(self) { UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(self) == "dotnet")
    {
        start.ArgumentList.Add(typeof(Shop).Assembly.Location);
    }
    foreach (var argument in new[] { "shop", database, from.ToString(), to.ToString(), crash ? "crash" : "finish" })
    {
        start.ArgumentList.Add(argument);
    }
    using var process = Process.Start(start)!;
    await process.WaitForExitAsync();
    return process.ExitCode;
}

namespace OutboxSample
{
    [Event("shop.order-placed")]
    public sealed record OrderPlaced([property: EventId] string OrderId, [property: PartitionKey] string Customer, decimal Total);

    /// <summary>Every event the store keeps goes through this source-generated context: no reflection, AOT-safe.</summary>
    [JsonSerializable(typeof(OrderPlaced))]
    internal sealed partial class ShopJson : JsonSerializerContext;

    internal static class Shop
    {
        public static async Task RunAsync(string file, int from, int to, bool crash)
        {
            var connectionString = $"Data Source={file}";
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
            builder.Services
                .AddEventRouter()                                                      // generated: dispatcher + listeners
                .AddSqliteStore(connectionString, o => o.JsonContext = ShopJson.Default) // the schema is created at start
                .AddDurableDispatchLoop(o => o.MaxParallelism = 2)                     // accepted = stored
                .AddOutboxRelayToDispatchLoop(o => o.PollInterval = TimeSpan.FromMilliseconds(50))
                .AddSingleton(new ShopDatabase(connectionString));
            using var host = builder.Build();
            await host.StartAsync(); // recovers what a previous run left unfinished
            var store = host.Services.GetRequiredService<DurableStore>();
            var relay = host.Services.GetRequiredService<OutboxRelay>();
            var shop = host.Services.GetRequiredService<ShopDatabase>();
            await shop.CreateTablesAsync();

            for (var i = from; i <= to; i++)
            {
                var order = new OrderPlaced($"order-{i:00}", i % 3 == 0 ? "alice" : "bob", 10m * i);
                await using var connection = await shop.OpenAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                await ShopDatabase.ExecuteAsync(connection, transaction, $"INSERT INTO orders (id, customer, total) VALUES ('{order.OrderId}', '{order.Customer}', {order.Total})");
                await store.Outbox.PublishAsync(order, transaction); // same transaction: both or neither
                await transaction.CommitAsync();
                relay.Wake();
                Console.WriteLine($"   placed {order.OrderId}");
            }

            if (crash)
            {
                // Mid-stream: some orders handled, others relayed or not, a delivery perhaps in progress.
                while (await shop.CountAsync("invoices") < 3)
                {
                    await Task.Delay(5);
                }
                Console.WriteLine($"   {await shop.CountAsync("invoices")} invoice(s) written, {await store.PendingEventsAsync()} event(s) in the loop unfinished, {await store.Outbox.PendingCountAsync()} not relayed yet: SIGKILL now");
                Process.GetCurrentProcess().Kill(); // SIGKILL on ourselves: nothing after this line runs
            }
            while (await store.Outbox.PendingCountAsync() > 0 || await store.PendingEventsAsync() > 0)
            {
                await Task.Delay(20);
            }
            await host.StopAsync();
        }
    }

    /// <summary>The shop's own tables, in the same SQLite file as the store's.</summary>
    public sealed class ShopDatabase(string connectionString)
    {
        public async Task<DbConnection> OpenAsync()
        {
            var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync();
            return connection;
        }

        public async Task CreateTablesAsync()
        {
            await using var connection = await OpenAsync();
            await ExecuteAsync(connection, null, """
                CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, customer TEXT NOT NULL, total REAL NOT NULL);
                CREATE TABLE IF NOT EXISTS invoices (id INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL, total REAL NOT NULL);
                CREATE TABLE IF NOT EXISTS shipments (id INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL, customer TEXT NOT NULL);
                """);
        }

        public async Task<long> CountAsync(string table)
        {
            await using var connection = await OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(*) FROM {table}";
            return (long)(await command.ExecuteScalarAsync())!;
        }

        public static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }

        /// <summary>
        /// Runs a listener's work exactly once per order: the inbox record and the work commit together, so a
        /// redelivery after a crash finds the record and does nothing.
        /// </summary>
        public async ValueTask ExactlyOnceAsync(DurableStore store, string orderId, string listener, string sql)
        {
            await using var connection = await OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            if (!await store.Inbox.TryMarkCompletedAsync(transaction, orderId, listener))
            {
                return;
            }
            await ExecuteAsync(connection, transaction, sql);
            await transaction.CommitAsync();
        }
    }

    [EventListener(Lifetime = ListenerLifetime.Scoped)]
    public sealed class Invoicing(DurableStore store, ShopDatabase shop) : IEventListener<OrderPlaced>
    {
        public ValueTask HandleAsync(OrderPlaced @event, CancellationToken cancellationToken) =>
            shop.ExactlyOnceAsync(store, @event.OrderId, nameof(Invoicing), $"INSERT INTO invoices (order_id, total) VALUES ('{@event.OrderId}', {@event.Total})");
    }

    [EventListener(Lifetime = ListenerLifetime.Scoped)]
    public sealed class Shipping(DurableStore store, ShopDatabase shop) : IEventListener<OrderPlaced>
    {
        public ValueTask HandleAsync(OrderPlaced @event, CancellationToken cancellationToken) =>
            shop.ExactlyOnceAsync(store, @event.OrderId, nameof(Shipping), $"INSERT INTO shipments (order_id, customer) VALUES ('{@event.OrderId}', '{@event.Customer}')");
    }

    internal static class Report
    {
        public static async Task<bool> PrintAsync(string file, int orders)
        {
            await using var connection = new SqliteConnection($"Data Source={file}");
            await connection.OpenAsync();
            var invoices = await CountPerOrderAsync(connection, "invoices");
            var shipments = await CountPerOrderAsync(connection, "shipments");
            var exact = 0;
            for (var i = 1; i <= orders; i++)
            {
                var id = $"order-{i:00}";
                var (invoiced, shipped) = (invoices.GetValueOrDefault(id), shipments.GetValueOrDefault(id));
                exact += invoiced == 1 && shipped == 1 ? 1 : 0;
                if (invoiced != 1 || shipped != 1)
                {
                    Console.WriteLine($"   {id}: {invoiced} invoice(s), {shipped} shipment(s)");
                }
            }
            Console.WriteLine($"   {orders} orders placed; {exact} with exactly one invoice and one shipment; lost: {orders - exact}");
            return exact == orders;
        }

        private static async Task<Dictionary<string, int>> CountPerOrderAsync(SqliteConnection connection, string table)
        {
            var counts = new Dictionary<string, int>();
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT order_id, COUNT(*) FROM {table} GROUP BY order_id";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                counts[reader.GetString(0)] = reader.GetInt32(1);
            }
            return counts;
        }
    }
}
