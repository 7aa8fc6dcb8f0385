namespace EventRouter.RabbitMQ;

/// <summary>The message headers the bridge writes and reads.</summary>
public static class RabbitMQHeaders
{
    /// <summary>The event's stable name (<see cref="EventAttribute"/>); also the message's <c>type</c> property.</summary>
    public const string EventName = "er-event-name";

    /// <summary>On a module request or command: the message's type name (the <c>[Event]</c> name, else the full type name).</summary>
    public const string MessageType = "er-message-type";

    /// <summary>
    /// On a module request: when its caller stops waiting, as Unix time in milliseconds (UTC). The serving side drops
    /// a request whose deadline has passed instead of running it; the clocks of both machines are assumed in step.
    /// </summary>
    public const string Deadline = "er-deadline";

    /// <summary>The W3C trace context of the publisher's current activity.</summary>
    public const string TraceParent = "traceparent";

    /// <summary>The W3C trace state that goes with <see cref="TraceParent"/>.</summary>
    public const string TraceState = "tracestate";

    /// <summary>How many broker-side (delay queue) retries a message has been through.</summary>
    public const string DelayedRetries = "er-delayed-retries";

    /// <summary>
    /// On a dead-lettered message or a failed module response: why (<c>listener-failed</c>, <c>malformed-json</c>,
    /// <c>unknown-event</c>, <c>unknown-message-type</c>, <c>handler-failed</c>, …).
    /// </summary>
    public const string Reason = "er-reason";

    /// <summary>On a dead-lettered message: the listener that failed or that the message was meant for.</summary>
    public const string Listener = "er-listener";

    /// <summary>On a dead-lettered message or a failed module response: the exception's type.</summary>
    public const string ExceptionType = "er-exception-type";

    /// <summary>On a dead-lettered message or a failed module response: the exception's message.</summary>
    public const string ExceptionMessage = "er-exception-message";

    /// <summary>On a dead-lettered message: the exception's stack trace.</summary>
    public const string ExceptionStackTrace = "er-exception-stacktrace";

    /// <summary>On a dead-lettered message: the attempts made in all (in process and delayed).</summary>
    public const string Attempts = "er-attempts";

    /// <summary>On a dead-lettered message: the queue it was taken from.</summary>
    public const string SourceQueue = "er-source-queue";
}
