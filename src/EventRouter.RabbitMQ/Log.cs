using Microsoft.Extensions.Logging;

namespace EventRouter.RabbitMQ;

/// <summary>Every log message of the RabbitMQ bridge, with stable event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "RabbitMQ bridge of service '{ServiceName}' started: {Consumers} listener queue(s) and {Modules} module queue(s) on {Broker}.")]
    public static partial void Started(ILogger logger, string serviceName, int consumers, int modules, string broker);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "RabbitMQ connection lost ({ReplyCode} {ReplyText}); recovering automatically.")]
    public static partial void ConnectionLost(ILogger logger, ushort replyCode, string replyText);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "RabbitMQ connection recovered; consumers resumed.")]
    public static partial void ConnectionRecovered(ILogger logger);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Debug, Message = "Publish of '{EventName}' ({MessageId}) not confirmed yet, retrying: {Reason}")]
    public static partial void PublishRetry(ILogger logger, string eventName, string messageId, string reason);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Listener queue '{Queue}': message {MessageId} failed {Attempts} time(s) in process; retrying in {Delay}.")]
    public static partial void DelayedRetry(ILogger logger, System.Exception exception, string queue, string? messageId, int attempts, System.TimeSpan delay);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Error, Message = "Queue '{Queue}': message {MessageId} dead-lettered to '{ErrorQueue}' ({Reason}).")]
    public static partial void DeadLettered(ILogger logger, System.Exception? exception, string queue, string? messageId, string errorQueue, string reason);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "Queue '{Queue}': message {MessageId} already handled; acknowledged without running it again.")]
    public static partial void Duplicate(ILogger logger, string queue, string messageId);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "Listener queue '{Queue}': could not acknowledge message {MessageId} ({Reason}); the broker redelivers it and the duplicate is skipped.")]
    public static partial void AckFailed(ILogger logger, string queue, string? messageId, string reason);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Information, Message = "Module queue '{Queue}': request {MessageType} ({MessageId}) dropped unrun; its caller's deadline has passed.")]
    public static partial void RequestExpired(ILogger logger, string queue, string messageType, string? messageId);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Error, Message = "Queue '{Queue}': handling message {MessageId} failed outside its handler; it goes back to the queue.")]
    public static partial void DeliveryFailed(ILogger logger, System.Exception exception, string queue, string? messageId);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Warning, Message = "Queue '{Queue}': the broker closed the consumer's channel ({ReplyCode} {ReplyText}); reopening it.")]
    public static partial void ChannelClosedByBroker(ILogger logger, string queue, ushort replyCode, string replyText);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Information, Message = "Queue '{Queue}': consumer channel reopened.")]
    public static partial void ChannelReopened(ILogger logger, string queue);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Warning, Message = "Queue '{Queue}': reopening the consumer's channel failed; trying again.")]
    public static partial void ChannelReopenFailed(ILogger logger, System.Exception exception, string queue);

    [LoggerMessage(EventId = 4014, Level = LogLevel.Warning, Message = "Module queue '{Queue}': command {MessageType} ({MessageId}) was not run by the stopping module; it goes back to the queue.")]
    public static partial void CommandRequeued(ILogger logger, string queue, string messageType, string? messageId);

    [LoggerMessage(EventId = 4015, Level = LogLevel.Warning, Message = "RabbitMQ connect attempt {Attempt} failed: {Reason} Trying again in the background.")]
    public static partial void ConnectFailed(ILogger logger, System.Exception exception, int attempt, string reason);

    [LoggerMessage(EventId = 4016, Level = LogLevel.Error, Message = "RabbitMQ refused the connection at attempt {Attempt}; not trying again.")]
    public static partial void ConnectGaveUp(ILogger logger, System.Exception exception, int attempt);

    [LoggerMessage(EventId = 4017, Level = LogLevel.Warning, Message = "Module stream control message ignored ({Problem}): kind '{Kind}', correlation id {CorrelationId}.")]
    public static partial void StreamControlMalformed(ILogger logger, string problem, string? kind, string? correlationId);

    [LoggerMessage(EventId = 4018, Level = LogLevel.Information, Message = "Module queue '{Queue}': stream {MessageType} ({CorrelationId}) ended after {Items} item(s) because {Why}; the module is freed.")]
    public static partial void StreamAbandoned(ILogger logger, string queue, string messageType, string? correlationId, long items, string why);
}
