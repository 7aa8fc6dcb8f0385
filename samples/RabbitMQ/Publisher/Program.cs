// The Orders service: publishes OrderPlaced events through RabbitMQ, each confirmed by the broker.
// Run the Consumer in another terminal first (it declares the Shipping service's queue), then:
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
});
using var host = builder.Build();
await host.StartAsync();

var publisher = host.Services.GetRequiredService<IBrokerPublisher>();
for (var i = 1; i <= count; i++)
{
    var order = new OrderPlaced($"order-{i}", $"customer-{i % 3}", 10m * i);
    var messageId = await publisher.PublishAsync(order); // returns once the broker confirmed it
    Console.WriteLine($"published {order.OrderId} (message id {messageId})");
}

await host.StopAsync();
