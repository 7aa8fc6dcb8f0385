using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace EventRouter.DispatchLoop;

/// <summary>One listener's delivery of one event that failed its last attempt.</summary>
/// <param name="Event">The event.</param>
/// <param name="EventName">The event's stable name.</param>
/// <param name="EventId">The event's id, or null when it has none.</param>
/// <param name="Listener">The listener that gave up.</param>
/// <param name="Exception">The exception of the last attempt (a <see cref="TimeoutException"/> when it timed out).</param>
/// <param name="Attempts">How many attempts were made.</param>
public sealed record DeadLetter(object Event, string EventName, string? EventId, ListenerInfo Listener, Exception Exception, int Attempts);

/// <summary>Receives dead letters: deliveries that failed their last attempt. Store them to inspect or replay them.</summary>
public interface IDeadLetterSink
{
    /// <summary>Stores one dead letter. A sink that throws is logged; the loop carries on.</summary>
    /// <param name="deadLetter">The failed delivery.</param>
    /// <param name="cancellationToken">Cancelled when the loop is forced to stop.</param>
    ValueTask WriteAsync(DeadLetter deadLetter, CancellationToken cancellationToken);
}

/// <summary>The default sink: an error log entry with the event, listener, attempts and exception.</summary>
internal sealed class LoggingDeadLetterSink : IDeadLetterSink
{
    private readonly ILogger _logger;

    public LoggingDeadLetterSink(ILogger logger) => _logger = logger;

    public ValueTask WriteAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
    {
        DispatchLoopLog.DeadLettered(_logger, deadLetter.EventName, deadLetter.EventId, deadLetter.Listener.Name, deadLetter.Attempts, deadLetter.Exception);
        return default;
    }
}
