using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.Modules;

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

/// <summary>Asks the Shipping service what shipping an order costs.</summary>
public sealed record QuoteShipping(string OrderId, decimal Total);

/// <summary>The Shipping service's answer to <see cref="QuoteShipping"/>.</summary>
public sealed record ShippingQuote(string OrderId, decimal Price, int Days);

/// <summary>Tells the Shipping service to hold an order's shipment (fire-and-forget).</summary>
public sealed record HoldShipment(string OrderId, string Reason);

/// <summary>Asks the Shipping service for the stages of an order's shipment, as a stream.</summary>
public sealed record TrackShipment(string OrderId);

/// <summary>One stage of a shipment, streamed in answer to <see cref="TrackShipment"/>.</summary>
public sealed record ShipmentUpdate(string OrderId, string Status, bool Delivered);

/// <summary>
/// The Shipping service's desk, a module server: it runs in the Shipping service (which serves it on the broker), and
/// the Orders service calls it through the same generated <c>ShippingDeskClient</c> it would use in process. The
/// class is shared through this contracts project so both sides have the typed client; the work itself is done by
/// <see cref="IShippingRates"/>, which only the Shipping service implements.
/// </summary>
[ModuleServer]
public sealed partial class ShippingDesk(IShippingRates rates) :
    IRequestHandler<QuoteShipping, ShippingQuote>,
    IStreamRequestHandler<TrackShipment, ShipmentUpdate>,
    ICommandHandler<HoldShipment>
{
    public async IAsyncEnumerable<ShipmentUpdate> HandleAsync(TrackShipment request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var update in rates.Track(request))
        {
            yield return update;   // crosses the broker as one message; waits while the reader's credit is used up
        }
        await Task.CompletedTask;
    }

    public ValueTask<ShippingQuote> HandleAsync(QuoteShipping request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(rates.Quote(request));

    public ValueTask HandleAsync(HoldShipment command, CancellationToken cancellationToken)
    {
        rates.Hold(command);
        return ValueTask.CompletedTask;
    }
}

/// <summary>The Shipping service's rates and holds; the desk module runs them one message at a time.</summary>
public interface IShippingRates
{
    ShippingQuote Quote(QuoteShipping request);

    void Hold(HoldShipment command);

    IEnumerable<ShipmentUpdate> Track(TrackShipment request);
}

/// <summary>Every type that crosses the broker, serialized without reflection (trimming and Native AOT safe).</summary>
[JsonSerializable(typeof(OrderPlaced))]
[JsonSerializable(typeof(QuoteShipping))]
[JsonSerializable(typeof(ShippingQuote))]
[JsonSerializable(typeof(HoldShipment))]
[JsonSerializable(typeof(TrackShipment))]
[JsonSerializable(typeof(ShipmentUpdate))]
public sealed partial class SampleJsonContext : JsonSerializerContext;

/// <summary>Shared settings of the two processes.</summary>
public static class SampleSettings
{
    /// <summary>The broker: RABBITMQ_URI, else a local node on the default port.</summary>
    public static string ConnectionString =>
        System.Environment.GetEnvironmentVariable("RABBITMQ_URI") is { Length: > 0 } uri ? uri : "amqp://guest:guest@localhost:5672/";
}
