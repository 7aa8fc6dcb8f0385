using System;
using Microsoft.Extensions.Logging;

namespace EventRouter.DispatchLoop;

/// <summary>The dispatch loop's log messages, event ids 2000-2099. None is on the success path.</summary>
internal static partial class DispatchLoopLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Warning, Message = "Dispatch loop queue full: dropped event '{EventName}' (mode {Mode}).")]
    public static partial void Dropped(ILogger logger, string eventName, QueueFullMode mode);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Listener {Listener} failed on event '{EventName}' (attempt {Attempt} of {MaxAttempts}); retrying in {Delay}.")]
    public static partial void Retrying(ILogger logger, Exception exception, string listener, string eventName, int attempt, int maxAttempts, TimeSpan delay);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Dead letter: event '{EventName}' (id {EventId}) failed in listener {Listener} after {Attempts} attempt(s).")]
    public static partial void DeadLettered(ILogger logger, string eventName, string? eventId, string listener, int attempts, Exception exception);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "The dead-letter sink failed; dead letter of event '{EventName}' (id {EventId}) for listener {Listener} after {Attempts} attempt(s) is only in this log.")]
    public static partial void DeadLetterSinkFailed(ILogger logger, Exception exception, string eventName, string? eventId, string listener, int attempts);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "A dispatch loop callback ({Callback}) threw.")]
    public static partial void CallbackFailed(ILogger logger, Exception exception, string callback);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Dispatch loop stopped with event '{EventName}' (id {EventId}) undelivered to {PendingCount} listener(s).")]
    public static partial void Undelivered(ILogger logger, string eventName, string? eventId, int pendingCount);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "The idempotency store failed to record that listener {Listener} completed event '{EventName}' (id {EventId}); a redelivery may run it again.")]
    public static partial void MarkCompletedFailed(ILogger logger, Exception exception, string listener, string eventName, string eventId);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Disposing the DI scope of a delivery of event '{EventName}' failed.")]
    public static partial void ScopeDisposeFailed(ILogger logger, Exception exception, string eventName);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Critical, Message = "Unexpected failure delivering event '{EventName}'; counted as dead-lettered.")]
    public static partial void UnexpectedFailure(ILogger logger, Exception exception, string eventName);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Dispatch loop did not drain within {Timeout}; cancelling deliveries in progress.")]
    public static partial void DrainTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Dispatch loop stopped: {Counts}.")]
    public static partial void Stopped(ILogger logger, DispatchLoopCounts counts);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Debug, Message = "A listener abandoned after a timeout or stop later failed.")]
    public static partial void AbandonedListenerFailed(ILogger logger, Exception exception);

    // The journal (durable loop): 2050-2059.

    [LoggerMessage(EventId = 2050, Level = LogLevel.Warning, Message = "The dispatch loop's journal failed to record progress of event '{EventName}'; after a restart it may run again.")]
    public static partial void JournalFailed(ILogger logger, Exception exception, string eventName);

    [LoggerMessage(EventId = 2051, Level = LogLevel.Error, Message = "The dispatch loop could not recover its journal; it accepts no event until it is restarted.")]
    public static partial void RecoveryFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2052, Level = LogLevel.Information, Message = "The dispatch loop recovered {Count} unfinished event(s) from its journal.")]
    public static partial void Recovered(ILogger logger, int count);
}
