using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.DispatchLoop;

/// <summary>
/// Makes a dispatch loop durable: the loop appends every event it accepts before <see cref="EventDispatchLoop.EnqueueAsync(object, System.Threading.CancellationToken)"/>
/// completes, records each listener that completed it and the moment it has an outcome, and on start hands back what
/// a crash left unfinished. Set <see cref="DispatchLoopOptions.Journal"/> (or register one in DI); the
/// EventRouter.Durability packages implement it over SQLite and PostgreSQL.
/// </summary>
/// <remarks>
/// The loop awaits <see cref="AppendAsync"/> (an event is accepted once it is stored), but not the two records after
/// it: a record lost in a crash only means that a listener, or an event, runs again after the restart — delivery
/// stays at least once. Calls for one event come in order (append, listener records, completion), and an
/// implementation must apply them in that order.
/// </remarks>
public interface IDispatchLoopJournal
{
    /// <summary>Stores an accepted event and returns its position: positive, increasing in the order of the appends.</summary>
    /// <param name="event">The event.</param>
    /// <param name="route">Its route (event name, type, id and partition key readers).</param>
    /// <param name="cancellationToken">The producer's token.</param>
    /// <returns>The event's position in the journal.</returns>
    ValueTask<long> AppendAsync(object @event, EventRoute route, CancellationToken cancellationToken);

    /// <summary>Records that a listener completed the event at <paramref name="position"/>: after a restart it is not run again for it.</summary>
    /// <param name="position">The event's position.</param>
    /// <param name="listenerName">The listener's <see cref="ListenerInfo.Name"/>.</param>
    /// <param name="cancellationToken">Not cancelled by the loop.</param>
    ValueTask ListenerCompletedAsync(long position, string listenerName, CancellationToken cancellationToken);

    /// <summary>The event at <paramref name="position"/> has its outcome (handled, or dead-lettered): it is finished.</summary>
    /// <param name="position">The event's position.</param>
    /// <param name="cancellationToken">Not cancelled by the loop.</param>
    ValueTask CompletedAsync(long position, CancellationToken cancellationToken);

    /// <summary>
    /// Stores an event accepted for delivery at <paramref name="dueAt"/> (<see cref="EventDispatchLoop.EnqueueAsync(object, DateTimeOffset)"/>)
    /// and returns its position, as <see cref="AppendAsync"/> does; <see cref="RecoverAsync"/> hands it back with its
    /// <see cref="JournaledEvent.DueAt"/>. A cancelled scheduled event is finished with <see cref="CompletedAsync"/>.
    /// The default refuses: a loop whose journal cannot store due times refuses to schedule, rather than lose the
    /// events in a crash.
    /// </summary>
    /// <param name="event">The event.</param>
    /// <param name="route">Its route.</param>
    /// <param name="dueAt">When it enters the queue.</param>
    /// <param name="cancellationToken">The producer's token.</param>
    /// <returns>The event's position in the journal.</returns>
    ValueTask<long> AppendScheduledAsync(object @event, EventRoute route, DateTimeOffset dueAt, CancellationToken cancellationToken) =>
        ValueTask.FromException<long>(new NotSupportedException($"The dispatch loop's journal ({GetType().Name}) cannot store scheduled events."));

    /// <summary>
    /// Records that a listener failed the event at <paramref name="position"/> <paramref name="failedAttempts"/>
    /// times and retries at <paramref name="dueAt"/>: after a restart its retries go on from there, not from the
    /// first attempt. The loop awaits it before the backoff. The default stores nothing (retries start afresh after
    /// a restart).
    /// </summary>
    /// <param name="position">The event's position.</param>
    /// <param name="listenerName">The listener's <see cref="ListenerInfo.Name"/>.</param>
    /// <param name="failedAttempts">How many of its attempts failed so far.</param>
    /// <param name="dueAt">When the next attempt runs, on the loop's <see cref="TimeProvider"/>.</param>
    /// <param name="cancellationToken">Cancelled when the loop is forced to stop.</param>
    ValueTask ListenerRetryScheduledAsync(long position, string listenerName, int failedAttempts, DateTimeOffset dueAt, CancellationToken cancellationToken) =>
        default;

    /// <summary>Every event appended and not completed, oldest first, with the listeners that completed it.</summary>
    /// <param name="dispatcher">The loop's dispatcher (its routes name the event types to read back).</param>
    /// <param name="cancellationToken">Cancelled when the loop stops.</param>
    /// <returns>The unfinished events.</returns>
    ValueTask<IReadOnlyList<JournaledEvent>> RecoverAsync(EventDispatcherBase dispatcher, CancellationToken cancellationToken);
}
