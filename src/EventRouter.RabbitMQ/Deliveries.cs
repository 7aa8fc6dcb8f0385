using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace EventRouter.RabbitMQ;

/// <summary>What the listener and module queue consumers do alike with a delivery: headers, trace context, failure headers, ack.</summary>
internal static class Deliveries
{
    /// <summary>Starts the consuming side's span as a child of the publisher's W3C trace context, when the message carries one.</summary>
    /// <param name="server">The broker's address.</param>
    /// <param name="properties">The delivery's properties (trace context headers).</param>
    /// <param name="queue">The queue the message was consumed from (the span's destination).</param>
    /// <param name="kind">Consumer for events and commands, Server for module requests.</param>
    /// <param name="messageId">The message id, when it has one.</param>
    public static Activity? StartActivity(RabbitMQTelemetry.Server server, IReadOnlyBasicProperties properties, string queue, ActivityKind kind, string? messageId)
    {
        var traceParent = ReadString(properties.Headers, RabbitMQHeaders.TraceParent);
        ActivityContext.TryParse(traceParent, ReadString(properties.Headers, RabbitMQHeaders.TraceState), out var parent);
        return RabbitMQTelemetry.Start(server, "process", "process", queue, kind, parent, messageId);
    }

    public static Dictionary<string, object?> CopyHeaders(IDictionary<string, object?>? headers) =>
        headers is null ? new(StringComparer.Ordinal) : new(headers, StringComparer.Ordinal);

    /// <summary>A copy of the message's headers plus why it failed: reason, source queue, and the exception when there is one.</summary>
    public static Dictionary<string, object?> FailureHeaders(IDictionary<string, object?>? headers, string reason, string queue, string description, Exception? exception)
    {
        var failure = CopyHeaders(headers);
        failure[RabbitMQHeaders.Reason] = reason;
        failure[RabbitMQHeaders.SourceQueue] = queue;
        failure[RabbitMQHeaders.ExceptionMessage] = exception?.Message ?? description;
        if (exception is not null)
        {
            failure[RabbitMQHeaders.ExceptionType] = exception.GetType().FullName;
            failure[RabbitMQHeaders.ExceptionStackTrace] = Truncate(exception.ToString(), 8_000);
        }
        return failure;
    }

    public static string? ReadString(IDictionary<string, object?>? headers, string key) =>
        headers is not null && headers.TryGetValue(key, out var value)
            ? value switch
            {
                byte[] bytes => Encoding.UTF8.GetString(bytes), // AMQP long strings arrive as bytes
                string text => text,
                _ => value?.ToString(),
            }
            : null;

    /// <summary>
    /// What the idempotency store records a message under: its id plus a hash of its name and body, so a different
    /// message that reuses an id is never taken for a duplicate, while a redelivery or a retried publish (same id,
    /// same bytes) is.
    /// </summary>
    public static string DeduplicationKey(string messageId, string name, ReadOnlySpan<byte> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(name));
        hash.AppendData([0]);
        hash.AppendData(body);
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return messageId + "#" + Convert.ToHexString(digest[..12]);
    }

    public static Task AckAsync(IChannel channel, BasicDeliverEventArgs delivery, ILogger logger, string queue, string? messageId) =>
        AckAsync(channel, delivery.DeliveryTag, logger, queue, messageId);

    /// <summary>Acknowledges; a channel that died with the delivery is logged, not thrown: the broker redelivers the message.</summary>
    public static async Task AckAsync(IChannel channel, ulong deliveryTag, ILogger logger, string queue, string? messageId)
    {
        try
        {
            await channel.BasicAckAsync(deliveryTag, multiple: false).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or ObjectDisposedException)
        {
            Log.AckFailed(logger, queue, messageId, ex.Message);
        }
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];
}
