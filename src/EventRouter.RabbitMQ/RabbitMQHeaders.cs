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

    /// <summary>
    /// On a message of a module stream: what it is. From the serving side to the reader: <c>item</c> (the body is one
    /// item), <c>end</c> (no more items) or <c>error</c> (the stream failed, with <see cref="Reason"/> and the
    /// exception headers). From the reader to the serving side: <c>credit</c> (send <see cref="StreamCredit"/> more
    /// items) or <c>cancel</c> (the reader left; end the handler).
    /// </summary>
    public const string Stream = "er-stream";

    /// <summary>
    /// On a stream's <c>item</c>: its 0-based position in the stream. On <c>end</c> and <c>error</c>: how many items
    /// were sent before it. The reader fails the stream when a number is not the one it expects.
    /// </summary>
    public const string StreamSequence = "er-stream-seq";

    /// <summary>
    /// On a stream request: how many items the reader accepts before it grants more. On a <c>credit</c> message: how
    /// many more items it accepts.
    /// </summary>
    public const string StreamCredit = "er-stream-credit";

    /// <summary>The W3C trace context of the publisher's current activity.</summary>
    public const string TraceParent = "traceparent";

    /// <summary>The W3C trace state that goes with <see cref="TraceParent"/>.</summary>
    public const string TraceState = "tracestate";

    /// <summary>How many broker-side (delay queue) retries a message has been through.</summary>
    public const string DelayedRetries = "er-delayed-retries";

    /// <summary>
    /// On a dead-lettered message or a failed module response: why (<c>listener-failed</c>, <c>malformed-json</c>,
    /// <c>unknown-event</c>, <c>unknown-message-type</c>, <c>handler-failed</c>,
    /// <c>module-stopped</c>, <c>reader-stalled</c>, …).
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
