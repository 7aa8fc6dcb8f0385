using System;
using System.Data.Common;
using System.IO;
using System.Linq;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using EventRouter.DispatchLoop;
using EventRouter.Durability;
using EventRouter.Generated;
using EventRouter.Sqlite;
using Microsoft.Data.Sqlite;

namespace EventRouter.Benchmarks.Durability;

[Event("bench.order-placed")]
public sealed record BenchOrder([property: EventId] string OrderId, int Amount);

[JsonSerializable(typeof(BenchOrder))]
public sealed partial class BenchJson : JsonSerializerContext;

[EventListener]
public sealed class BenchListener : IEventListener<BenchOrder>
{
    public ValueTask HandleAsync(BenchOrder @event, CancellationToken cancellationToken) => default;
}

/// <summary>
/// Durable enqueue (the loop waits for the store's group commit) against the raw backend doing the same batched
/// inserts: <see cref="Events"/> events from <see cref="Producers"/> concurrent producers, and the raw inserts in
/// transactions of <see cref="Producers"/> rows (the batch the group commit forms when every producer waits).
/// </summary>
public class DurableEnqueueBenchmarks
{
    [Params(2000)]
    public int Events { get; set; }

    [Params(64)]
    public int Producers { get; set; }

    private string _folder = null!;
    private string _connectionString = null!;
    private DurableStore _store = null!;
    private EventDispatchLoop _loop = null!;
    private BenchOrder[] _orders = null!;
    private string[] _payloads = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_folder, _connectionString, _store) = BenchDatabase.Create();
        _orders = Enumerable.Range(0, Events).Select(i => new BenchOrder($"order-{i}", i)).ToArray();
        _payloads = _orders.Select(o => System.Text.Json.JsonSerializer.Serialize(o, BenchJson.Default.BenchOrder)).ToArray();
    }

    [IterationSetup(Target = nameof(DurableEnqueue))]
    public void NewLoop() =>
        // Not started: the benchmark measures acceptance (stored, queued), not delivery.
        _loop = new EventDispatchLoop(new EventDispatcher(), new DispatchLoopOptions { Capacity = 2 * Events, MaxParallelism = 1 }.UseDurableStore(_store, useInbox: false));

    [IterationCleanup]
    public void Clear()
    {
        _loop?.Dispose();
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM eventrouter_queue";
        command.ExecuteNonQuery();
    }

    [Benchmark(Baseline = true, Description = "raw batched inserts")]
    public async Task RawBatchedInserts()
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        await using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous = FULL"; // as durable as the store
            await pragma.ExecuteNonQueryAsync();
        }
        await using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO eventrouter_queue (owner, event_name, event_id, payload, enqueued_at) VALUES (@owner, @event_name, @event_id, @payload, @at) RETURNING id";
        var owner = Add(insert, "@owner", Environment.MachineName);
        Add(insert, "@event_name", "bench.order-placed");
        var id = Add(insert, "@event_id", "");
        var payload = Add(insert, "@payload", "");
        var at = Add(insert, "@at", 0L);
        for (var start = 0; start < Events; start += Producers)
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
            insert.Transaction = transaction;
            for (var i = start; i < Math.Min(Events, start + Producers); i++)
            {
                id.Value = _orders[i].OrderId;
                payload.Value = _payloads[i];
                at.Value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                await insert.ExecuteScalarAsync();
            }
            await transaction.CommitAsync();
        }
        _ = owner;
    }

    [Benchmark(Description = "durable EnqueueAsync (group commit)")]
    public async Task DurableEnqueue()
    {
        var perProducer = Events / Producers;
        await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            for (var i = p * perProducer; i < (p + 1) * perProducer; i++)
            {
                await _loop.EnqueueAsync(_orders[i]);
            }
        })));
    }

    /// <summary>The store's commits so far (each one disk flush).</summary>
    public long Commits => _store.Commits;

    [GlobalCleanup]
    public void Cleanup()
    {
        BenchDatabase.Delete(_folder, _store);
    }

    private static DbParameter Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return parameter;
    }
}

/// <summary>Publishing through the outbox inside an application's transaction, against the same insert written by hand.</summary>
public class OutboxPublishBenchmarks
{
    private string _folder = null!;
    private string _connectionString = null!;
    private DurableStore _store = null!;
    private SqliteConnection _connection = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        (_folder, _connectionString, _store) = BenchDatabase.Create();
        _connection = new SqliteConnection(_connectionString);
        _connection.Open();
        using var command = _connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous = FULL; CREATE TABLE orders (id TEXT PRIMARY KEY, amount INTEGER NOT NULL)";
        command.ExecuteNonQuery();
    }

    [Benchmark(Baseline = true, Description = "order + outbox row by hand")]
    public async Task ByHand()
    {
        var order = new BenchOrder($"order-{_next++}", 1);
        await using var transaction = (SqliteTransaction)await _connection.BeginTransactionAsync();
        await InsertOrderAsync(transaction, order);
        await using (var insert = _connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO eventrouter_outbox (event_name, event_id, payload, created_at) VALUES (@event_name, @event_id, @payload, @at)";
            insert.Parameters.AddWithValue("@event_name", "bench.order-placed");
            insert.Parameters.AddWithValue("@event_id", order.OrderId);
            insert.Parameters.AddWithValue("@payload", System.Text.Json.JsonSerializer.Serialize(order, BenchJson.Default.BenchOrder));
            insert.Parameters.AddWithValue("@at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            await insert.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
    }

    [Benchmark(Description = "order + Outbox.PublishAsync")]
    public async Task Outbox()
    {
        var order = new BenchOrder($"order-{_next++}", 1);
        await using var transaction = (SqliteTransaction)await _connection.BeginTransactionAsync();
        await InsertOrderAsync(transaction, order);
        await _store.Outbox.PublishAsync(order, transaction);
        await transaction.CommitAsync();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _connection.Dispose();
        BenchDatabase.Delete(_folder, _store);
    }

    private async Task InsertOrderAsync(SqliteTransaction transaction, BenchOrder order)
    {
        await using var insert = _connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO orders (id, amount) VALUES (@id, @amount)";
        insert.Parameters.AddWithValue("@id", order.OrderId);
        insert.Parameters.AddWithValue("@amount", order.Amount);
        await insert.ExecuteNonQueryAsync();
    }
}

/// <summary>A fresh SQLite file with the store's schema, in a folder of its own.</summary>
internal static class BenchDatabase
{
    public static (string Folder, string ConnectionString, DurableStore Store) Create()
    {
        var folder = Path.Combine(Path.GetTempPath(), "er-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var connectionString = $"Data Source={Path.Combine(folder, "bench.db")}";
        var store = SqliteStore.Create(connectionString, new DurableStoreOptions { JsonContext = BenchJson.Default });
        store.InitializeAsync().GetAwaiter().GetResult();
        return (folder, connectionString, store);
    }

    public static void Delete(string folder, DurableStore store)
    {
        store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }
}
