using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;

namespace EventRouter.Durability;

/// <summary>
/// Sends the events of a <see cref="TransactionalOutbox"/> once their transaction committed: claims the oldest unsent
/// events, hands each to a delivery (the dispatch loop's <c>EnqueueAsync</c>, a broker publisher that waits for the
/// confirm, …) and marks it sent only after that delivery returned. A crash before the mark sends the event again,
/// never loses it. On PostgreSQL several relays (one per instance) share the outbox: each claims rows the others
/// skip (<c>FOR UPDATE SKIP LOCKED</c>). On SQLite, run one relay per database file.
/// </summary>
/// <remarks>
/// Events are delivered in the order they were stored, one at a time; a delivery that throws stops the pass (the
/// events before it are marked sent) and the relay tries again after <see cref="OutboxRelayOptions.PollInterval"/>.
/// A stored event that cannot be read back (its type is unknown here, or its JSON is invalid) can never be
/// delivered: it is moved to the dead-letter table rather than block the outbox.
/// </remarks>
public sealed class OutboxRelay : IHostedService, IAsyncDisposable, IDisposable
{
    /// <summary>The listener name of the dead letters the relay writes for events it cannot read back.</summary>
    public const string DeadLetterListener = "(outbox relay)";

    private readonly DurableStore _store;
    private readonly Func<object, CancellationToken, ValueTask> _deliver;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private Task? _loop;
    private long _sent;

    /// <summary>Creates a relay. Call <see cref="Start"/> (or let the host do it), or drive it with <see cref="RelayOnceAsync"/>.</summary>
    /// <param name="store">The store whose outbox it sends.</param>
    /// <param name="deliver">Delivers one event; it must return only once the event is safely taken (enqueued in a durable loop, confirmed by the broker). Throwing leaves the event unsent.</param>
    /// <param name="options">Settings; defaults when null.</param>
    public OutboxRelay(DurableStore store, Func<object, CancellationToken, ValueTask> deliver, OutboxRelayOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(deliver);
        options = options?.Clone() ?? new OutboxRelayOptions();
        options.Validate();
        _store = store;
        _deliver = deliver;
        PollInterval = options.PollInterval;
        BatchSize = options.BatchSize;
    }

    /// <summary>The <see cref="OutboxRelayOptions.PollInterval"/> it was created with.</summary>
    internal TimeSpan PollInterval { get; }

    /// <summary>The <see cref="OutboxRelayOptions.BatchSize"/> it was created with.</summary>
    internal int BatchSize { get; }

    /// <summary>The number of events this relay delivered and marked sent.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Starts relaying in the background. Calling it again does nothing.</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            _loop ??= Task.Run(() => RunAsync(_stop.Token));
        }
    }

    /// <summary>Makes a waiting relay look at the outbox now, for example right after a transaction with outbox events committed.</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken: one wake-up is enough for any number of commits.
        }
    }

    /// <summary>
    /// One pass: claims up to <see cref="OutboxRelayOptions.BatchSize"/> unsent events, delivers them in order and
    /// marks the delivered ones sent. A delivery that throws ends the pass; its exception is thrown after the events
    /// delivered before it were marked sent.
    /// </summary>
    /// <param name="cancellationToken">Cancels the pass; claimed events not marked sent stay unsent.</param>
    /// <returns>The number of events claimed (delivered, or moved to the dead letters).</returns>
    /// <exception cref="DurableStoreException">The store failed.</exception>
    public async Task<int> RelayOnceAsync(CancellationToken cancellationToken = default)
    {
        await _store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        var claimed = 0;
        try
        {
            claimed = _store.Backend.LocksClaimedRows
                ? await RelayLockedAsync(cancellationToken).ConfigureAwait(false)
                : await RelayUnlockedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DeliveryFailedException failed)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed.Delivery);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw _store.Failure(ex, "relay its outbox");
        }
        return claimed;
    }

    /// <summary>Starts the relay with the host.</summary>
    Task IHostedService.StartAsync(CancellationToken cancellationToken)
    {
        Start();
        return Task.CompletedTask;
    }

    /// <summary>Stops the relay: a delivery in progress is cancelled, and its event stays unsent.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        Task? loop;
        lock (_gate)
        {
            loop = _loop;
            _stop.Cancel();
        }
        if (loop is not null)
        {
            await loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the relay, blocking until its pass in progress ends.</summary>
    public void Dispose() => StopAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Stops the relay.</summary>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var claimed = 0;
            try
            {
                claimed = await RelayOnceAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                DurabilityLog.RelayFailed(_store.Logger, ex, _store.ToString(), PollInterval);
            }
            if (claimed >= BatchSize)
            {
                continue; // more may be waiting
            }
            try
            {
                await _wake.WaitAsync(PollInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>PostgreSQL: claims, delivers and marks inside one transaction that holds the claimed rows' locks.</summary>
    private async Task<int> RelayLockedAsync(CancellationToken cancellationToken)
    {
        var sql = _store.Backend.Sql;
        await using var connection = await _store.Backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await _store.Backend.BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        var rows = await ClaimAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await using var mark = Db.Command(connection, transaction, sql.OutboxMarkSent);
        Exception? failure = null;
        var done = 0;
        var delivered = 0;
        foreach (var row in rows)
        {
            var outcome = await DeliverAsync(row, cancellationToken).ConfigureAwait(false);
            if (outcome.Failure is not null)
            {
                failure = outcome.Failure;
                break;
            }
            if (outcome.DeadLetter is { } error)
            {
                await using var dead = Db.Command(connection, transaction, sql.DeadLetterInsert);
                SetDeadLetter(dead, row, error);
                await dead.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                delivered++;
            }
            Db.Set(mark, "@id", row.Id);
            Db.Set(mark, "@at", _store.Now);
            // Delivered: the mark must reach the database even when the caller gave up meanwhile.
            await mark.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            done++;
        }
        await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        Interlocked.Add(ref _sent, delivered);
        return failure is null ? done : throw new DeliveryFailedException(failure);
    }

    /// <summary>SQLite: reads without a transaction, delivers, then marks through the store's writer.</summary>
    private async Task<int> RelayUnlockedAsync(CancellationToken cancellationToken)
    {
        var rows = await _store.ReadAsync(
            (connection, token) => ClaimAsync(connection, null, token), "read its outbox", cancellationToken).ConfigureAwait(false);
        var done = new List<(OutboxRow Row, Exception? DeadLetter)>(rows.Count);
        Exception? failure = null;
        foreach (var row in rows)
        {
            var outcome = await DeliverAsync(row, cancellationToken).ConfigureAwait(false);
            if (outcome.Failure is not null)
            {
                failure = outcome.Failure;
                break;
            }
            done.Add((row, outcome.DeadLetter));
        }
        if (done.Count > 0)
        {
            await _store.Writer.WriteAsync(new MarkSentOperation(this, done)).ConfigureAwait(false);
            var delivered = 0;
            foreach (var item in done)
            {
                delivered += item.DeadLetter is null ? 1 : 0;
            }
            Interlocked.Add(ref _sent, delivered);
        }
        return failure is null ? done.Count : throw new DeliveryFailedException(failure);
    }

    private async Task<List<OutboxRow>> ClaimAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = Db.Command(connection, transaction, _store.Backend.Sql.OutboxClaim);
        Db.Set(command, "@limit", (long)BatchSize);
        var rows = new List<OutboxRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new OutboxRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
        }
        return rows;
    }

    /// <summary>Delivers one row: success, a row that can never be delivered (dead letter), or a failure that ends the pass.</summary>
    private async Task<(Exception? DeadLetter, Exception? Failure)> DeliverAsync(OutboxRow row, CancellationToken cancellationToken)
    {
        object @event;
        try
        {
            @event = _store.Codec.Decode(row.EventName, row.Payload);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.Text.Json.JsonException or NotSupportedException)
        {
            DurabilityLog.OutboxUnreadable(_store.Logger, ex, row.EventName, row.Id);
            return (ex, null);
        }
        try
        {
            await _deliver(@event, cancellationToken).ConfigureAwait(false);
            return (null, null);
        }
        catch (Exception ex)
        {
            return (null, ex);
        }
    }

    private void SetDeadLetter(DbCommand command, OutboxRow row, Exception error) =>
        DurableDeadLetters.SetParameters(command, _store, row.EventName, null, DeadLetterListener, row.Payload, error.ToString(), 0);

    private readonly record struct OutboxRow(long Id, string EventName, string Payload);

    /// <summary>Carries a delivery's own exception past the store-failure wrapping.</summary>
    private sealed class DeliveryFailedException(Exception delivery) : Exception(delivery.Message, delivery)
    {
        public Exception Delivery { get; } = delivery;
    }

    private sealed class MarkSentOperation(OutboxRelay relay, List<(OutboxRow Row, Exception? DeadLetter)> rows) : WriteOperation
    {
        public override async ValueTask<long> ExecuteAsync(WriteBatch batch, CancellationToken cancellationToken)
        {
            var sql = relay._store.Backend.Sql;
            var mark = batch.Command(sql.OutboxMarkSent);
            foreach (var (row, deadLetter) in rows)
            {
                if (deadLetter is not null)
                {
                    var dead = batch.Command(sql.DeadLetterInsert);
                    relay.SetDeadLetter(dead, row, deadLetter);
                    await dead.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                Db.Set(mark, "@id", row.Id);
                Db.Set(mark, "@at", relay._store.Now);
                await mark.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            return rows.Count;
        }
    }
}
