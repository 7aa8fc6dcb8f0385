using System;

namespace EventRouter.RabbitMQ;

/// <summary>A publish the broker did not confirm within <see cref="RabbitMQOptions.PublishTimeout"/>: it may not have been delivered.</summary>
public sealed class BrokerPublishException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BrokerPublishException(string eventName, string messageId, TimeSpan waited, Exception? lastError)
        : base($"Event '{eventName}' (message id {messageId}) was not confirmed by the RabbitMQ broker within {waited.TotalSeconds:0.#} s; it may not have been delivered. Last error: {lastError?.Message ?? "none"}", lastError)
    {
        EventName = eventName;
        MessageId = messageId;
    }

    /// <summary>The event's name.</summary>
    public string EventName { get; }

    /// <summary>The message id (the event id) of the unconfirmed publish; publishing again with it is de-duplicated.</summary>
    public string MessageId { get; }
}

/// <summary>The bridge could not connect to the broker: unreachable host, refused credentials, or a missing virtual host.</summary>
public sealed class BrokerConnectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BrokerConnectionException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
