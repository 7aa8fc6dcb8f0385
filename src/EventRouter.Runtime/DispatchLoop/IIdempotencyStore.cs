using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.DispatchLoop;

/// <summary>
/// Remembers which listeners completed which events, so that a duplicate or redelivered event (same id) does not run
/// a listener twice. Implement it over a database to de-duplicate across restarts and processes.
/// </summary>
/// <remarks>
/// The loop routes every copy of an event id to the same worker lane, so within one loop a check and the mark that
/// follows it are never interleaved with another delivery of the same id.
/// </remarks>
public interface IIdempotencyStore
{
    /// <summary>True when <paramref name="listenerName"/> already completed the event <paramref name="eventId"/>.</summary>
    /// <param name="eventId">The event's id (<see cref="EventIdAttribute"/> or <see cref="IIdentifiableEvent"/>).</param>
    /// <param name="listenerName">The listener's <see cref="ListenerInfo.Name"/>.</param>
    /// <param name="cancellationToken">Cancelled when the loop is forced to stop.</param>
    ValueTask<bool> IsCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken);

    /// <summary>Records that <paramref name="listenerName"/> completed the event <paramref name="eventId"/>.</summary>
    /// <param name="eventId">The event's id.</param>
    /// <param name="listenerName">The listener's <see cref="ListenerInfo.Name"/>.</param>
    /// <param name="cancellationToken">Not cancelled by the loop: the listener has already run.</param>
    ValueTask MarkCompletedAsync(string eventId, string listenerName, CancellationToken cancellationToken);
}
