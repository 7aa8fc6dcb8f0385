using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Modules;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace EventRouter.RabbitMQ;

/// <summary>The name a module message type travels under: its <c>[Event]</c> name, else its full type name.</summary>
internal static class WireName<T>
{
    public static readonly string Value = EventDispatcherBase.EventNameOf(typeof(T));
}

/// <summary>
/// The calling side of a module served by another service: a request is published to the module's queue with a
/// correlation id and <c>reply-to</c> = direct reply-to, and waits (bounded) for the reply; a stream request is
/// published the same way and its items come back over direct reply-to (<see cref="RemoteStreamReader{TRequest, TItem}"/>);
/// a command is published with publisher confirms, like an event.
/// </summary>
internal sealed class RabbitMQModuleTransport : IModuleTransport
{
    private readonly RabbitMQBridge _bridge;
    private readonly string _queue;
    private readonly string _moduleName;
    private readonly TimeSpan _timeout;

    public RabbitMQModuleTransport(RabbitMQBridge bridge, string queue, string moduleName, TimeSpan timeout)
    {
        _bridge = bridge;
        _queue = queue;
        _moduleName = moduleName;
        _timeout = timeout;
    }

    internal RabbitMQBridge Bridge => _bridge;

    internal string ModuleName => _moduleName;

    internal string Queue => _queue;

    /// <summary>How long a request waits for its response, and a stream for its first and each next item.</summary>
    internal TimeSpan Timeout => _timeout;

    public IAsyncEnumerable<TItem> StreamAsync<TRequest, TItem>(TRequest request, CancellationToken cancellationToken) =>
        new RemoteStream<TRequest, TItem>(this, request, cancellationToken);

    public async ValueTask<TResponse> RequestAsync<TRequest, TResponse>(TRequest request, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, _bridge.GetModuleTypeInfo<TRequest>(_moduleName));
        var messageType = WireName<TRequest>.Value;
        _bridge.CheckSize(messageType, body);
        var correlationId = Guid.NewGuid().ToString("N");

        using var activity = RabbitMQTelemetry.Start(_bridge.Server, "request", "send", _queue, ActivityKind.Client, routingKey: _queue);
        activity?.SetTag("messaging.message.conversation_id", correlationId);
        activity?.SetTag("eventrouter.module", _moduleName);
        activity?.SetTag("eventrouter.message_type", messageType);

        // The caller's deadline travels with the request: the serving side drops a request whose caller has given
        // up, however long it waited in the queue, in a prefetch buffer or behind the module's other work.
        var started = Stopwatch.GetTimestamp();
        var properties = RequestProperties(messageType, correlationId, activity);
        var reply = _bridge.ExpectReply(correlationId);
        RemoteReply answer;
        try
        {
            await PublishRequestAsync(properties, body, started, cancellationToken).ConfigureAwait(false);
            answer = await reply.Task.WaitAsync(Remaining(started), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "timeout");
            throw new ModuleRequestTimeoutException(_moduleName, typeof(TRequest), _timeout);
        }
        catch (ReplyLostException lost)
        {
            // Direct reply-to answers on the channel that asked: once it closed, no answer can come. Failed at once
            // rather than resent (a request is not de-duplicated and may already have run).
            activity?.SetStatus(ActivityStatusCode.Error, "connection-lost");
            throw new ModuleConnectionLostException(_moduleName, typeof(TRequest), lost.Message);
        }
        finally
        {
            _bridge.ForgetReply(correlationId);
        }

        if (Deliveries.ReadString(answer.Headers, RabbitMQHeaders.Reason) is { } reason)
        {
            activity?.SetStatus(ActivityStatusCode.Error, reason);
            throw new RemoteModuleException(
                _moduleName, typeof(TRequest), reason,
                Deliveries.ReadString(answer.Headers, RabbitMQHeaders.ExceptionType),
                Deliveries.ReadString(answer.Headers, RabbitMQHeaders.ExceptionMessage) ?? "(no message)");
        }
        return JsonSerializer.Deserialize(answer.Body.Span, _bridge.GetModuleTypeInfo<TResponse>(_moduleName))!;
    }

    public async ValueTask SendAsync<TCommand>(TCommand command, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(command, _bridge.GetModuleTypeInfo<TCommand>(_moduleName));
        var messageType = WireName<TCommand>.Value;
        _bridge.CheckSize(messageType, body);
        var messageId = Guid.NewGuid().ToString("N");
        using var activity = RabbitMQTelemetry.Start(_bridge.Server, "send", "send", _queue, ActivityKind.Producer, messageId: messageId, routingKey: _queue);
        activity?.SetTag("eventrouter.module", _moduleName);
        activity?.SetTag("eventrouter.message_type", messageType);
        var properties = new BasicProperties
        {
            MessageId = messageId,
            Type = messageType,
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
            AppId = _bridge.Options.ServiceName,
            Headers = RemoteModuleMessages.Headers(messageType, activity),
        };
        // Confirmed, retried through outages up to PublishTimeout, then BrokerPublishException: never assumed sent.
        await _bridge.PublishConfirmedAsync(string.Empty, null, _queue, properties, body, messageType, messageId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The properties of a request or stream request: answered over direct reply-to under its correlation id, with the
    /// caller's deadline (<see cref="RabbitMQHeaders.Deadline"/>, from now) and trace context.
    /// </summary>
    internal BasicProperties RequestProperties(string messageType, string correlationId, Activity? activity)
    {
        var headers = RemoteModuleMessages.Headers(messageType, activity);
        headers[RabbitMQHeaders.Deadline] = (DateTimeOffset.UtcNow + _timeout).ToUnixTimeMilliseconds();
        return new BasicProperties
        {
            MessageId = correlationId,
            CorrelationId = correlationId,
            ReplyTo = RabbitMQBridge.DirectReplyTo,
            Type = messageType,
            ContentType = "application/json",
            AppId = _bridge.Options.ServiceName,
            Headers = headers,
        };
    }

    /// <summary>Publishes a request, retrying through a connection outage until the request's deadline.</summary>
    internal async Task PublishRequestAsync(BasicProperties properties, byte[] body, long started, CancellationToken cancellationToken)
    {
        var pause = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            var remaining = Remaining(started);
            // The broker drops the request when its caller stops waiting: the expiry is what is left of the timeout
            // now, not the whole timeout (a publish delayed by an outage or a first connect must not outlive its caller).
            properties.Expiration = Math.Max(1L, (long)Math.Ceiling(remaining.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(remaining);
                var channel = await _bridge.GetReplyChannelAsync(attempt.Token).ConfigureAwait(false);
                await channel.BasicPublishAsync(string.Empty, _queue, mandatory: false, properties, body, attempt.Token).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException();
            }
            catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or BrokerUnreachableException
                or BrokerConnectionException or System.IO.IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                Log.PublishRetry(_bridge.Logger, properties.Type!, properties.MessageId!, ex.Message);
            }
            await Task.Delay(pause < remaining ? pause : remaining, cancellationToken).ConfigureAwait(false);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 1000));
        }
    }

    /// <summary>The time the request has left; throws <see cref="TimeoutException"/> when none (reported as the module's timeout).</summary>
    private TimeSpan Remaining(long started)
    {
        var remaining = _timeout - Stopwatch.GetElapsedTime(started);
        return remaining > TimeSpan.Zero ? remaining : throw new TimeoutException();
    }
}

/// <summary>Header helpers shared by both sides of remote module calls.</summary>
internal static class RemoteModuleMessages
{
    /// <summary>The request's deadline (<see cref="RabbitMQHeaders.Deadline"/>), or null when it carries none.</summary>
    public static DateTimeOffset? ReadDeadline(IDictionary<string, object?>? headers)
    {
        if (headers is null || !headers.TryGetValue(RabbitMQHeaders.Deadline, out var value))
        {
            return null;
        }
        long? milliseconds = value switch
        {
            long l => l,
            int i => i,
            byte[] bytes when long.TryParse(System.Text.Encoding.UTF8.GetString(bytes), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            string text when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        };
        // Out of DateTimeOffset's range is as unreadable as text: treated as no deadline (the request's own expiry still holds).
        return milliseconds is >= 0 and <= 253_402_300_799_999 ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds.Value) : null;
    }

    public static Dictionary<string, object?> Headers(string messageType, Activity? activity)
    {
        var headers = new Dictionary<string, object?>(StringComparer.Ordinal) { [RabbitMQHeaders.MessageType] = messageType };
        if ((activity ?? Activity.Current) is { IdFormat: ActivityIdFormat.W3C } current)
        {
            headers[RabbitMQHeaders.TraceParent] = current.Id;
            if (current.TraceStateString is { Length: > 0 } state)
            {
                headers[RabbitMQHeaders.TraceState] = state;
            }
        }
        return headers;
    }
}

/// <summary>Checks that the serializer context covers every message type of a called module (at start-up).</summary>
internal sealed class ModuleTypeCheck(RabbitMQBridge bridge, string moduleName) : IModuleMessageVisitor
{
    public void Request<TRequest, TResponse>(Func<TRequest, CancellationToken, ValueTask<TResponse>> send)
    {
        bridge.GetModuleTypeInfo<TRequest>(moduleName);
        bridge.GetModuleTypeInfo<TResponse>(moduleName);
    }

    public void Command<TCommand>(Func<TCommand, CancellationToken, ValueTask> send) => bridge.GetModuleTypeInfo<TCommand>(moduleName);

    public void Stream<TRequest, TItem>(Func<TRequest, CancellationToken, IAsyncEnumerable<TItem>> open)
    {
        bridge.GetModuleTypeInfo<TRequest>(moduleName);
        bridge.GetModuleTypeInfo<TItem>(moduleName);
    }
}

/// <summary>
/// Builds, from a served module's local client, the table the queue consumer dispatches on: message type name →
/// a handler that deserializes, sends through the client, and serializes the response. Closed generic types, built
/// once: nothing is looked up by reflection per message.
/// </summary>
internal sealed class ModuleHandlerTable(RabbitMQBridge bridge, string moduleName) : IModuleMessageVisitor
{
    public Dictionary<string, RemoteHandler> Handlers { get; } = new(StringComparer.Ordinal);

    public void Request<TRequest, TResponse>(Func<TRequest, CancellationToken, ValueTask<TResponse>> send) =>
        Handlers[WireName<TRequest>.Value] = new RemoteRequestHandler<TRequest, TResponse>(
            send, bridge.GetModuleTypeInfo<TRequest>(moduleName), bridge.GetModuleTypeInfo<TResponse>(moduleName));

    public void Command<TCommand>(Func<TCommand, CancellationToken, ValueTask> send) =>
        Handlers[WireName<TCommand>.Value] = new RemoteCommandHandler<TCommand>(send, bridge.GetModuleTypeInfo<TCommand>(moduleName));

    public void Stream<TRequest, TItem>(Func<TRequest, CancellationToken, IAsyncEnumerable<TItem>> open) =>
        Handlers[WireName<TRequest>.Value] = new RemoteStreamHandler<TRequest, TItem>(
            open, bridge.GetModuleTypeInfo<TRequest>(moduleName), bridge.GetModuleTypeInfo<TItem>(moduleName));
}

/// <summary>Runs one message type of a served module.</summary>
internal abstract class RemoteHandler
{
    /// <summary>True for requests (a response goes back), false for commands.</summary>
    public abstract bool IsRequest { get; }

    /// <summary>
    /// Deserializes the body, sends the message through the module's client, and returns the serialized response
    /// (null for a command). A body that is not valid JSON for the type throws <see cref="MalformedMessageException"/>.
    /// </summary>
    public abstract ValueTask<byte[]?> HandleAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken);

    /// <summary>
    /// A command: deserializes the body (synchronously: a body that cannot be read throws here) and hands the command
    /// to the module's client; completes when the module has queued it.
    /// </summary>
    public virtual ValueTask SendCommandAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Not a command.");

    protected static T Read<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> info)
    {
        try
        {
            return JsonSerializer.Deserialize(body, info)!;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            throw new MalformedMessageException($"The body is not a valid {typeof(T).Name}: {ex.Message}", ex);
        }
    }
}

/// <summary>The channel a request's reply would arrive on closed while the request waited.</summary>
internal sealed class ReplyLostException(string reason) : Exception(reason);

/// <summary>A module message whose body could not be read.</summary>
internal sealed class MalformedMessageException(string message, Exception inner) : Exception(message, inner);

internal sealed class RemoteRequestHandler<TRequest, TResponse>(
    Func<TRequest, CancellationToken, ValueTask<TResponse>> send, JsonTypeInfo<TRequest> requestInfo, JsonTypeInfo<TResponse> responseInfo) : RemoteHandler
{
    public override bool IsRequest => true;

    public override async ValueTask<byte[]?> HandleAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var response = await send(Read(body.Span, requestInfo), cancellationToken).ConfigureAwait(false);
        return JsonSerializer.SerializeToUtf8Bytes(response, responseInfo);
    }
}

internal sealed class RemoteCommandHandler<TCommand>(Func<TCommand, CancellationToken, ValueTask> send, JsonTypeInfo<TCommand> commandInfo) : RemoteHandler
{
    public override bool IsRequest => false;

    public override async ValueTask<byte[]?> HandleAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        await SendCommandAsync(body, cancellationToken).ConfigureAwait(false);
        return null;
    }

    public override ValueTask SendCommandAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        send(Read(body.Span, commandInfo), cancellationToken);
}
