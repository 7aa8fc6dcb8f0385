using System.Text.Json.Serialization;
using EventRouter;

namespace RabbitMQSample;

/// <summary>Published by the Orders service, handled by the Shipping service in another process.</summary>
/// <remarks>
/// The event id becomes the message id, which the consumers de-duplicate on. <see cref="IIdentifiableEvent"/> (not
/// only [EventId]) because the publishing process has no listeners and so no generated route to read [EventId] from.
/// </remarks>
[Event("orders.placed")]
public sealed record OrderPlaced(string OrderId, string Customer, decimal Total) : IIdentifiableEvent
{
    string IIdentifiableEvent.EventId => OrderId;
}

/// <summary>Every event that crosses the broker, serialized without reflection (trimming and Native AOT safe).</summary>
[JsonSerializable(typeof(OrderPlaced))]
public sealed partial class SampleJsonContext : JsonSerializerContext;

/// <summary>Shared settings of the two processes.</summary>
public static class SampleSettings
{
    /// <summary>The broker: RABBITMQ_URI, else a local node on the default port.</summary>
    public static string ConnectionString =>
        System.Environment.GetEnvironmentVariable("RABBITMQ_URI") is { Length: > 0 } uri ? uri : "amqp://guest:guest@localhost:5672/";
}
