using System;
using System.Diagnostics;

namespace EventRouter.RabbitMQ;

/// <summary>
/// The bridge's spans, with the OpenTelemetry messaging attributes for RabbitMQ: operation type and name, the
/// destination (exchange or queue), the routing key, the message id and the broker's address, named
/// <c>{operation name} {destination}</c> as the conventions name spans.
/// </summary>
internal static class RabbitMQTelemetry
{
    /// <summary>The broker's host and port as the connection string names them (server.address, server.port).</summary>
    public readonly record struct Server(string? Address, int Port)
    {
        public static Server From(string? connectionString) =>
            Uri.TryCreate(connectionString, UriKind.Absolute, out var uri)
                ? new Server(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? (uri.Scheme == "amqps" ? 5671 : 5672) : uri.Port)
                : default;
    }

    /// <summary>Starts a span; null when nothing listens (checked first, so an unobserved publish formats no name).</summary>
    /// <param name="server">The broker's address.</param>
    /// <param name="operationName">What the bridge does: publish, send, request, process.</param>
    /// <param name="operationType">The conventions' operation type: send or process.</param>
    /// <param name="destination">The exchange (events) or queue (module messages, consumers).</param>
    /// <param name="kind">The span kind.</param>
    /// <param name="parent">The publisher's trace context on the consuming side; default: the current activity.</param>
    /// <param name="messageId">The message id, when known.</param>
    /// <param name="routingKey">The routing key, when not empty.</param>
    public static Activity? Start(
        Server server, string operationName, string operationType, string destination, ActivityKind kind,
        ActivityContext parent = default, string? messageId = null, string? routingKey = null)
    {
        if (!RabbitMQBridge.ActivitySource.HasListeners())
        {
            return null;
        }
        var activity = RabbitMQBridge.ActivitySource.StartActivity(operationName + " " + destination, kind, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "rabbitmq");
            activity.SetTag("messaging.operation.type", operationType);
            activity.SetTag("messaging.operation.name", operationName);
            activity.SetTag("messaging.destination.name", destination);
            if (!string.IsNullOrEmpty(routingKey))
            {
                activity.SetTag("messaging.rabbitmq.destination.routing_key", routingKey);
            }
            if (messageId is not null)
            {
                activity.SetTag("messaging.message.id", messageId);
            }
            if (server.Address is not null)
            {
                activity.SetTag("server.address", server.Address);
                activity.SetTag("server.port", server.Port);
            }
        }
        return activity;
    }
}
