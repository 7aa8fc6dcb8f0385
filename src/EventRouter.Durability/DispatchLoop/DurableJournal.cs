using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;

namespace EventRouter.Durability;

/// <summary>
/// The durable dispatch loop's journal over the store: accepted events in <c>eventrouter_queue</c> (one row each,
/// owned by <see cref="DurableStoreOptions.InstanceName"/>), listener completions in
/// <c>eventrouter_queue_listeners</c>. Every write goes through the store's group-commit writer, in call order.
/// </summary>
internal sealed class DurableJournal(DurableStore store) : IDispatchLoopJournal
{
    /// <summary>The listener name of the dead letters written for journal entries that cannot be read back.</summary>
    public const string RecoveryListener = "(dispatch loop recovery)";

    public async ValueTask<long> AppendAsync(object @event, EventRoute route, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (name, id, payload) = store.Codec.Encode(@event, route);
        // Once queued, not cancellable: a producer that gave up on a write that then committed would see "not
        // accepted" for an event the loop delivers after a restart.
        return await store.Writer.WriteAsync(new AppendOperation(store, name, id, payload, null)).ConfigureAwait(false);
    }

    public async ValueTask<long> AppendScheduledAsync(object @event, EventRoute route, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (name, id, payload) = store.Codec.Encode(@event, route);
        return await store.Writer.WriteAsync(new AppendOperation(store, name, id, payload, UpToMillisecond(dueAt))).ConfigureAwait(false);
    }

    public ValueTask ListenerRetryScheduledAsync(long position, string listenerName, int failedAttempts, DateTimeOffset dueAt, CancellationToken cancellationToken) =>
        new(store.Writer.WriteAsync(new RetryOperation(store.Backend.Sql, position, listenerName, failedAttempts, UpToMillisecond(dueAt))).WaitAsync(cancellationToken));

    /// <summary>Unix milliseconds, rounded up: a stored due time read back is never earlier than the one given.</summary>
    private static long UpToMillisecond(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return (ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
    }

    public ValueTask ListenerCompletedAsync(long position, string listenerName, CancellationToken cancellationToken) =>
        new(store.Writer.WriteAsync(new ListenerOperation(store.Backend.Sql, position, listenerName)));

    public ValueTask CompletedAsync(long position, CancellationToken cancellationToken) =>
        new(store.Writer.WriteAsync(new CompleteOperation(store.Backend.Sql, position)));

    public async ValueTask<IReadOnlyList<JournaledEvent>> RecoverAsync(EventDispatcherBase dispatcher, CancellationToken cancellationToken)
    {
        store.UseDispatcher(dispatcher);
        var sql = store.Backend.Sql;
        var owner = store.Options.InstanceName;
        var (rows, (listeners, retries)) = await store.ReadAsync(
            async (connection, token) =>
            {
                var rows = new List<(long Id, string Name, string Payload, long? DueAt)>();
                await using (var read = Db.Command(connection, null, sql.JournalRead))
                {
                    Db.Set(read, "@owner", owner);
                    await using var reader = await read.ExecuteReaderAsync(token).ConfigureAwait(false);
                    while (await reader.ReadAsync(token).ConfigureAwait(false))
                    {
                        rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt64(3)));
                    }
                }
                var retries = new Dictionary<long, List<JournaledRetry>>();
                await using (var read = Db.Command(connection, null, sql.JournalReadRetries))
                {
                    Db.Set(read, "@owner", owner);
                    await using var reader = await read.ExecuteReaderAsync(token).ConfigureAwait(false);
                    while (await reader.ReadAsync(token).ConfigureAwait(false))
                    {
                        var entry = reader.GetInt64(0);
                        if (!retries.TryGetValue(entry, out var list))
                        {
                            retries.Add(entry, list = new List<JournaledRetry>());
                        }
                        list.Add(new JournaledRetry(reader.GetString(1), Convert.ToInt32(reader.GetValue(2)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3))));
                    }
                }
                var listeners = new Dictionary<long, List<string>>();
                await using (var read = Db.Command(connection, null, sql.JournalReadListeners))
                {
                    Db.Set(read, "@owner", owner);
                    await using var reader = await read.ExecuteReaderAsync(token).ConfigureAwait(false);
                    while (await reader.ReadAsync(token).ConfigureAwait(false))
                    {
                        var entry = reader.GetInt64(0);
                        if (!listeners.TryGetValue(entry, out var names))
                        {
                            listeners.Add(entry, names = new List<string>());
                        }
                        names.Add(reader.GetString(1));
                    }
                }
                return (rows, (listeners, retries));
            },
            "read the dispatch loop's journal",
            cancellationToken).ConfigureAwait(false);

        var recovered = new List<JournaledEvent>(rows.Count);
        foreach (var (id, name, payload, dueAt) in rows)
        {
            object @event;
            try
            {
                @event = store.Codec.Decode(name, payload);
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.Text.Json.JsonException or NotSupportedException)
            {
                // It can never be delivered here: keep it where it can be inspected and replayed, not in the way.
                DurabilityLog.JournalUnreadable(store.Logger, ex, name, id);
                await store.Writer.WriteAsync(new UnreadableOperation(store, id, name, payload, ex)).ConfigureAwait(false);
                continue;
            }
            recovered.Add(new JournaledEvent(id, @event, listeners.TryGetValue(id, out var done) ? done : Array.Empty<string>())
            {
                DueAt = dueAt is { } due ? DateTimeOffset.FromUnixTimeMilliseconds(due) : null,
                Retries = retries.TryGetValue(id, out var waiting) ? waiting : Array.Empty<JournaledRetry>(),
            });
        }
        return recovered;
    }

    /// <summary>The number of events this instance accepted and has not finished.</summary>
    public Task<long> PendingCountAsync(CancellationToken cancellationToken)
    {
        var sql = store.Backend.Sql.JournalPendingCount;
        var owner = store.Options.InstanceName;
        return store.ReadAsync(
            async (connection, token) =>
            {
                await using var command = Db.Command(connection, null, sql);
                Db.Set(command, "@owner", owner);
                return Db.ToLong(await command.ExecuteScalarAsync(token).ConfigureAwait(false));
            },
            "count the dispatch loop's journal",
            cancellationToken);
    }

    private sealed class AppendOperation(DurableStore store, string name, string? id, string payload, long? dueAt) : WriteOperation
    {
        public override async ValueTask<long> ExecuteAsync(WriteBatch batch, CancellationToken cancellationToken)
        {
            var command = batch.Command(store.Backend.Sql.JournalAppend);
            Db.Set(command, "@owner", store.Options.InstanceName);
            Db.Set(command, "@event_name", name);
            Db.Set(command, "@event_id", id);
            Db.Set(command, "@payload", payload);
            Db.Set(command, "@at", store.Now);
            Db.Set(command, "@due_at", dueAt);
            return Db.ToLong(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
        }
    }

    private sealed class ListenerOperation(DurableSql sql, long entry, string listener) : WriteOperation
    {
        public override async ValueTask<long> ExecuteAsync(WriteBatch batch, CancellationToken cancellationToken)
        {
            var command = batch.Command(sql.JournalListenerCompleted);
            Db.Set(command, "@entry_id", entry);
            Db.Set(command, "@listener", listener);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class RetryOperation(DurableSql sql, long entry, string listener, int attempts, long dueAt) : WriteOperation
    {
        public override async ValueTask<long> ExecuteAsync(WriteBatch batch, CancellationToken cancellationToken)
        {
            var command = batch.Command(sql.JournalRetry);
            Db.Set(command, "@entry_id", entry);
            Db.Set(command, "@listener", listener);
            Db.Set(command, "@attempts", (long)attempts);
            Db.Set(command, "@due_at", dueAt);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class CompleteOperation(DurableSql sql, long entry) : WriteOperation
    {
        public override async ValueTask<long> ExecuteAsync(WriteBatch batch, CancellationToken cancellationToken)
        {
            var listeners = batch.Command(sql.JournalDeleteListeners);
            Db.Set(listeners, "@entry_id", entry);
            await listeners.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            var retries = batch.Command(sql.JournalDeleteRetries);
            Db.Set(retries, "@entry_id", entry);
            await retries.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            var row = batch.Command(sql.JournalDelete);
            Db.Set(row, "@entry_id", entry);
            return await row.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Moves an entry that cannot be read back to the dead letters, in one transaction.</summary>
    private sealed class UnreadableOperation(DurableStore store, long entry, string name, string payload, Exception error) : WriteOperation
    {
        public override async ValueTask<long> ExecuteAsync(WriteBatch batch, CancellationToken cancellationToken)
        {
            var sql = store.Backend.Sql;
            var dead = batch.Command(sql.DeadLetterInsert);
            DurableDeadLetters.SetParameters(dead, store, name, null, RecoveryListener, payload, error.ToString(), 0);
            await dead.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return await new CompleteOperation(sql, entry).ExecuteAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }
}
