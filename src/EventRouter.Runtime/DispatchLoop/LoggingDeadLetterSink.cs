using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace EventRouter.DispatchLoop;

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
