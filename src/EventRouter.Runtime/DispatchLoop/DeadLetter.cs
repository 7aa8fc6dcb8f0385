using System;
using System.Threading;

namespace EventRouter.DispatchLoop;

/// <summary>One listener's delivery of one event that failed its last attempt.</summary>
/// <param name="Event">The event.</param>
/// <param name="EventName">The event's stable name.</param>
/// <param name="EventId">The event's id, or null when it has none.</param>
/// <param name="Listener">The listener that gave up.</param>
/// <param name="Exception">The exception of the last attempt (a <see cref="TimeoutException"/> when it timed out).</param>
/// <param name="Attempts">How many attempts were made.</param>
public sealed record DeadLetter(object Event, string EventName, string? EventId, ListenerInfo Listener, Exception Exception, int Attempts);
