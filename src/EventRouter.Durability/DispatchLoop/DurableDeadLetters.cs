using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;

namespace EventRouter.Durability;

/// <summary>
/// Dead letters kept in the store's database (table <c>eventrouter_dead_letters</c>, queryable with plain SQL too):
/// the <see cref="IDeadLetterSink"/> of a durable dispatch loop, with reading, replay and deletion.
/// </summary>
public sealed class DurableDeadLetters : IDeadLetterSink
{
    private readonly DurableStore _store;

    internal DurableDeadLetters(DurableStore store) => _store = store;

    /// <inheritdoc />
    /// <remarks>Completes once the letter is committed (with other writes waiting at the same time).</remarks>
    public async ValueTask WriteAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        string? payload;
        try
        {
            payload = _store.Codec.Encode(deadLetter.Event, _store.RouteOf(deadLetter.Event.GetType())).Payload;
        }
        catch (InvalidOperationException)
        {
            payload = null; // not serializable here: the letter is still worth keeping, without its event
        }
        await _store.Writer.WriteAsync(new InsertOperation(
            _store, deadLetter.EventName, deadLetter.EventId, deadLetter.Listener.Name, payload, deadLetter.Exception.ToString(), deadLetter.Attempts))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The oldest dead letters of the database (every instance's), at most <paramref name="limit"/>.</summary>
    /// <param name="limit">How many to read.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The dead letters, oldest first.</returns>
    public Task<IReadOnlyList<StoredDeadLetter>> ReadAsync(int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var sql = _store.Backend.Sql.DeadLetterRead;
        return _store.ReadAsync<IReadOnlyList<StoredDeadLetter>>(
            async (connection, token) =>
            {
                await using var command = Db.Command(connection, null, sql);
                Db.Set(command, "@limit", (long)limit);
                return await ReadRowsAsync(command, token).ConfigureAwait(false);
            },
            "read its dead letters",
            cancellationToken);
    }

    /// <summary>
    /// Enqueues a dead letter's event again and deletes the letter once the loop accepted it. With the inbox, only
    /// the listeners that had not completed the event (those that gave up) run again.
    /// </summary>
    /// <param name="id">The letter's <see cref="StoredDeadLetter.Id"/>.</param>
    /// <param name="loop">The loop to enqueue into.</param>
    /// <param name="cancellationToken">Cancels the replay before the enqueue.</param>
    /// <returns>False when there is no such letter.</returns>
    /// <exception cref="InvalidOperationException">The letter has no payload, or its event cannot be read back here.</exception>
    public async Task<bool> ReplayAsync(long id, EventDispatchLoop loop, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loop);
        var sql = _store.Backend.Sql.DeadLetterReadOne;
        var rows = await _store.ReadAsync<IReadOnlyList<StoredDeadLetter>>(
            async (connection, token) =>
            {
                await using var command = Db.Command(connection, null, sql);
                Db.Set(command, "@id", id);
                return await ReadRowsAsync(command, token).ConfigureAwait(false);
            },
            "read a dead letter",
            cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return false;
        }
        var letter = rows[0];
        if (letter.Payload is null)
        {
            throw new InvalidOperationException($"Dead letter {id} of event '{letter.EventName}' has no payload to replay.");
        }
        await loop.EnqueueAsync(_store.Codec.Decode(letter.EventName, letter.Payload), cancellationToken).ConfigureAwait(false);
        await DeleteAsync(id, CancellationToken.None).ConfigureAwait(false);
        return true;
    }

    /// <summary>Deletes a dead letter.</summary>
    /// <param name="id">The letter's <see cref="StoredDeadLetter.Id"/>.</param>
    /// <param name="cancellationToken">Stops waiting for the delete.</param>
    /// <returns>False when there was no such letter.</returns>
    public async Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default) =>
        await _store.Writer.WriteAsync(new DeleteOperation(_store.Backend.Sql, id)).WaitAsync(cancellationToken).ConfigureAwait(false) == 1;

    internal static void SetParameters(DbCommand command, DurableStore store, string eventName, string? eventId, string listener, string? payload, string error, int attempts)
    {
        Db.Set(command, "@owner", store.Options.InstanceName);
        Db.Set(command, "@event_name", eventName);
        Db.Set(command, "@event_id", eventId);
        Db.Set(command, "@listener", listener);
        Db.Set(command, "@payload", payload);
        Db.Set(command, "@error", error);
        Db.Set(command, "@attempts", attempts);
        Db.Set(command, "@at", store.Now);
    }

    private static async Task<IReadOnlyList<StoredDeadLetter>> ReadRowsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var letters = new List<StoredDeadLetter>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            letters.Add(new StoredDeadLetter(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetString(5),
                (int)Db.ToLong(reader.GetValue(6)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7))));
        }
        return letters;
    }

    private sealed class InsertOperation(DurableStore store, string eventName, string? eventId, string listener, string? payload, string error, int attempts) : WriteOperation
    {
        public override async ValueTask<long> ExecuteAsync(WriteBatch batch, CancellationToken cancellationToken)
        {
            var command = batch.Command(store.Backend.Sql.DeadLetterInsert);
            SetParameters(command, store, eventName, eventId, listener, payload, error, attempts);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class DeleteOperation(DurableSql sql, long id) : WriteOperation
    {
        public override async ValueTask<long> ExecuteAsync(WriteBatch batch, CancellationToken cancellationToken)
        {
            var command = batch.Command(sql.DeadLetterDelete);
            Db.Set(command, "@id", id);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
