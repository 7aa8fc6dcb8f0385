// The Orders service: asks the Shipping service's desk module for a quote (a request answered across the broker),
// then publishes OrderPlaced events through RabbitMQ, each confirmed by the broker, reads the first order's tracking
// as a stream from the desk, and finally holds one shipment (a command). Run the Consumer in another terminal first (it declares the Shipping service's queues), then:
//   dotnet run --project samples/RabbitMQ/Publisher -- 10
using System;
using EventRouter.RabbitMQ;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQSample;

var count = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 10;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddEventRouterRabbitMQ(o =>
{
    o.ConnectionString = SampleSettings.ConnectionString;
    o.ServiceName = "orders";
    o.JsonContext = SampleJsonContext.Default;
    o.Consume = false;              // this process only publishes
    o.CrossBroker<OrderPlaced>();   // checked against the JSON context at start-up
    o.CallModule<ShippingDesk>(timeout: TimeSpan.FromSeconds(10));   // registers ShippingDeskClient, over the broker
});
using var host = builder.Build();
await host.StartAsync();

var publisher = host.Services.GetRequiredService<IBrokerPublisher>();
var desk = host.Services.GetRequiredService<ShippingDeskClient>();
for (var i = 1; i <= count; i++)
{
    var order = new OrderPlaced($"order-{i}", $"customer-{i % 3}", 10m * i);
    var quote = await desk.RequestAsync(new QuoteShipping(order.OrderId, order.Total)); // answered by the Shipping service
    var messageId = await publisher.PublishAsync(order); // returns once the broker confirmed it
    Console.WriteLine($"published {order.OrderId} (message id {messageId}), shipping {quote.Price} in {quote.Days} days");
    if (i == 1)
    {
        // A stream request: the desk's items come back one by one over the broker; leaving early ends the handler.
        await foreach (var update in desk.StreamAsync(new TrackShipment(order.OrderId)))
        {
            Console.WriteLine($"tracking {update.OrderId}: {update.Status}");
            if (update.Delivered)
            {
                break;
            }
        }
    }
}
await desk.SendAsync(new HoldShipment("order-1", "address check")); // confirmed by the broker, run by the desk
Console.WriteLine("sent hold for order-1");

await host.StopAsync();
