using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.DispatchLoop;

// The durable side (DispatchLoopOptions.Journal): an event is accepted once the journal stored it; listener
// completions and outcomes are recorded; the first start (or enqueue) recovers what a crash left unfinished.
public sealed partial class EventDispatchLoop
{
    private readonly IDispatchLoopJournal? _journal;
    private Task? _recovery;

    /// <summary>Begins recovering the journal, once. New events wait for it, so recovered events keep their place ahead of them.</summary>
    private Task StartRecovery()
    {
        lock (_gate)
        {
            return _recovery ??= _journal is null ? Task.CompletedTask : Task.Run(RecoverAsync);
        }
    }

    private async ValueTask EnqueueJournaledAsync(object @event, CancellationToken cancellationToken)
    {
        var recovery = StartRecovery();
        if (!recovery.IsCompletedSuccessfully)
        {
            await recovery.WaitAsync(cancellationToken).ConfigureAwait(false); // a failed recovery fails every enqueue
        }
        if (_stopping)
        {
            throw new DispatchLoopStoppedException();
        }
        if (!TryPrepare(@event, out var envelope, out var lane))
        {
            return;
        }
        // Not accepted until this returns: a store that fails fails the enqueue, and the caller still has the event.
        var position = await _journal!.AppendAsync(@event, envelope.Route, cancellationToken).ConfigureAwait(false);
        await AcceptJournaledAsync(envelope.WithJournal(position, completed: null), lane).ConfigureAwait(false);
    }

    /// <summary>
    /// Queues a stored event. It is accepted whatever happens now: it waits for room without the producer's token,
    /// and if the loop stops first the stop returns it as undelivered — it stays in the journal for the next start.
    /// </summary>
    private async ValueTask AcceptJournaledAsync(Envelope envelope, int lane)
    {
        if (!_stopping)
        {
            if (TryWrite(in envelope, lane, out var target))
            {
                return;
            }
            Interlocked.Increment(ref _producer.Waiting);
            try
            {
                await WaitAndWriteAsync(envelope, target, CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (DispatchLoopStoppedException)
            {
                // The stop came first; reported below.
            }
        }
        Interlocked.Increment(ref _producer.Accepted);
        DispatchLoopLog.Undelivered(_logger, envelope.Route.EventName, envelope.EventId, envelope.SlotCount);
        _undelivered.Enqueue(new UndeliveredEvent(envelope.Event, envelope.Route.EventName, envelope.EventId, envelope.AllSlots()));
        Interlocked.Increment(ref _producer.Returned);
    }

    private async Task RecoverAsync()
    {
        IReadOnlyList<JournaledEvent> entries;
        try
        {
            entries = await _journal!.RecoverAsync(_dispatcher, _abortToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            DispatchLoopLog.RecoveryFailed(_logger, ex);
            throw;
        }
        foreach (var entry in entries)
        {
            var route = _dispatcher.GetRoute(entry.Event.GetType());
            if (route is null || (route.Listeners.Count == 0 && !route.HasSubscribers))
            {
                // Nothing listens to it any more: finished, as an enqueue of it now would be.
                var type = entry.Event.GetType();
                Log.NoListener(_logger, route?.EventName ?? EventDispatcherBase.EventNameOf(type), type.FullName);
                RecordJournal(_journal.CompletedAsync(entry.Position, CancellationToken.None), route?.EventName ?? type.FullName ?? type.Name);
                continue;
            }
            var id = route.GetEventId(entry.Event);
            var key = route.GetPartitionKey(entry.Event) ?? id;
            var completed = entry.CompletedListeners.Count == 0 ? null : new HashSet<string>(entry.CompletedListeners, StringComparer.Ordinal);
            Dictionary<string, JournaledRetry>? retries = null;
            foreach (var retry in entry.Retries)
            {
                (retries ??= new Dictionary<string, JournaledRetry>(StringComparer.Ordinal))[retry.ListenerName] = retry;
            }
            var envelope = new Envelope(entry.Event, route, id, route.Subscribers, default).WithJournal(entry.Position, completed, retries);
            var lane = key is null ? -1 : LaneOf(key);
            if (entry.DueAt is { } dueAt && dueAt > _time.GetUtcNow())
            {
                ScheduleRecovered(envelope, lane, dueAt); // waits for its time again; never before it
                continue;
            }
            await AcceptJournaledAsync(envelope, lane).ConfigureAwait(false);
        }
        DispatchLoopLog.Recovered(_logger, entries.Count);
    }

    private void JournalListenerCompleted(in Envelope envelope, string listener)
    {
        try
        {
            RecordJournal(_journal!.ListenerCompletedAsync(envelope.Position, listener, CancellationToken.None), envelope.Route.EventName);
        }
        catch (Exception ex)
        {
            DispatchLoopLog.JournalFailed(_logger, ex, envelope.Route.EventName);
        }
    }

    /// <summary>
    /// Stores a listener's retry (its failed attempts and the next one's time) before the backoff, so a restart goes
    /// on from there. A record that fails is logged: after a restart that listener's retries would start afresh.
    /// </summary>
    private async ValueTask JournalRetryAsync(Envelope envelope, string listener, int failedAttempts, DateTimeOffset dueAt)
    {
        try
        {
            await BoundedByStop(_journal!.ListenerRetryScheduledAsync(envelope.Position, listener, failedAttempts, dueAt, _abortToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abortToken.IsCancellationRequested)
        {
            // Forced stop: the retry is returned undelivered; the record of the attempt before it stands.
        }
        catch (Exception ex)
        {
            DispatchLoopLog.JournalFailed(_logger, ex, envelope.Route.EventName);
        }
    }

    private void JournalCompleted(in Envelope envelope)
    {
        if (!envelope.IsJournaled)
        {
            return;
        }
        try
        {
            RecordJournal(_journal!.CompletedAsync(envelope.Position, CancellationToken.None), envelope.Route.EventName);
        }
        catch (Exception ex)
        {
            DispatchLoopLog.JournalFailed(_logger, ex, envelope.Route.EventName);
        }
    }

    /// <summary>
    /// Not awaited: the worker moves on to the next event. A record that fails (or is lost in a crash) only means the
    /// listener or event runs again after a restart.
    /// </summary>
    private void RecordJournal(ValueTask write, string eventName)
    {
        if (write.IsCompletedSuccessfully)
        {
            write.GetAwaiter().GetResult();
            return;
        }
        _ = ObserveJournalAsync(write, eventName);
    }

    private async Task ObserveJournalAsync(ValueTask write, string eventName)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            DispatchLoopLog.JournalFailed(_logger, ex, eventName);
        }
    }
}
