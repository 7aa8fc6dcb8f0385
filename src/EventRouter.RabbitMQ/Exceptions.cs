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

    /// <summary>True when the broker could not be reached (worth trying again); false when it refused the connection.</summary>
    internal bool Unreachable { get; init; }
}

/// <summary>
/// A remote module could not answer a request: its handler threw, or it could not read the request. Thrown to the
/// caller of the generated typed client of a module called through the broker.
/// </summary>
public sealed class RemoteModuleException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RemoteModuleException(string moduleName, Type requestType, string reason, string? remoteExceptionType, string remoteMessage)
        : base($"Module '{moduleName}' failed {requestType.Name} ({reason}): {(remoteExceptionType is null ? "" : remoteExceptionType + ": ")}{remoteMessage}")
    {
        ModuleName = moduleName;
        RequestType = requestType;
        Reason = reason;
        RemoteExceptionType = remoteExceptionType;
        RemoteMessage = remoteMessage;
    }

    /// <summary>The module's name.</summary>
    public string ModuleName { get; }

    /// <summary>The request's type.</summary>
    public Type RequestType { get; }

    /// <summary>Why: <c>handler-failed</c>, <c>malformed-json</c> or <c>unknown-message-type</c>.</summary>
    public string Reason { get; }

    /// <summary>The full name of the exception the serving side saw, when there was one.</summary>
    public string? RemoteExceptionType { get; }

    /// <summary>The serving side's error message.</summary>
    public string RemoteMessage { get; }
}

/// <summary>A message larger than <see cref="RabbitMQOptions.MaxMessageSize"/>: it was not published.</summary>
public sealed class MessageTooLargeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MessageTooLargeException(string name, long size, long maxSize)
        : base($"'{name}' serializes to {size} bytes, more than RabbitMQOptions.MaxMessageSize ({maxSize} bytes); it was not published.")
    {
        Name = name;
        Size = size;
        MaxSize = maxSize;
    }

    /// <summary>The event's name or the module message's type name.</summary>
    public string Name { get; }

    /// <summary>The body's size in bytes.</summary>
    public long Size { get; }

    /// <summary>The limit in bytes.</summary>
    public long MaxSize { get; }
}

/// <summary>
/// A remote module request whose connection to the broker was lost while it waited for the response: the response
/// can no longer arrive. The request may or may not have run on the serving side.
/// </summary>
public sealed class ModuleConnectionLostException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModuleConnectionLostException(string moduleName, Type requestType, string reason)
        : base($"Module '{moduleName}': the connection to the broker was lost while {requestType.Name} waited for its response ({reason}); it may or may not have run.")
    {
        ModuleName = moduleName;
        RequestType = requestType;
    }

    /// <summary>The module's name.</summary>
    public string ModuleName { get; }

    /// <summary>The request's type.</summary>
    public Type RequestType { get; }
}

/// <summary>
/// A remote module stream whose items arrived out of sequence: one or more were lost or arrived twice. The stream was
/// ended (the serving side was told to stop) rather than read on with a hole in it.
/// </summary>
public sealed class ModuleStreamGapException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="moduleName">The module's name.</param>
    /// <param name="requestType">The stream request's type.</param>
    /// <param name="expected">The sequence number the reader expected.</param>
    /// <param name="received">The sequence number that arrived.</param>
    public ModuleStreamGapException(string moduleName, Type requestType, long expected, long received)
        : base($"The {requestType.Name} stream of module '{moduleName}' expected item {expected} but received {(received < 0 ? "a message without a sequence number" : "number " + received)}; items were lost or duplicated, so the stream was ended.")
    {
        ModuleName = moduleName;
        RequestType = requestType;
        Expected = expected;
        Received = received;
    }

    /// <summary>The module's name.</summary>
    public string ModuleName { get; }

    /// <summary>The stream request's type.</summary>
    public Type RequestType { get; }

    /// <summary>The sequence number the reader expected (the count of items it had received).</summary>
    public long Expected { get; }

    /// <summary>The sequence number that arrived; -1 when the message carried none.</summary>
    public long Received { get; }
}
