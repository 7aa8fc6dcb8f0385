using Microsoft.Extensions.Logging;

namespace EventRouter;

/// <summary>Every log message of the runtime, with stable event ids. Nothing here is on a success path.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "No listener handles event '{EventName}' ({EventType}).")]
    public static partial void NoListener(ILogger logger, string eventName, string? eventType);
}
