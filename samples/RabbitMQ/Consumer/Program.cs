// The Shipping service: its listeners handle OrderPlaced events published by the Orders service in another process.
// Each listener gets its own durable queue (shipping.<listener>), so each is acknowledged, retried and
// dead-lettered on its own. It also serves its ShippingDesk module on the queue module.ShippingDesk: the Orders
// service asks it for quotes, streams an order's tracking and sends it holds through the desk's generated typed client. Start two of these
// processes and they share the work (competing consumers).
//   dotnet run --project samples/RabbitMQ/Consumer -- 10     (stops after 10 orders; omit for Ctrl+C)
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.Modules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQSample;

var expected = args.Length > 0 && int.TryParse(args[0], out var n) ? n : int.MaxValue;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSingleton(new Progress(expected));
builder.Services.AddEventRouter();   // generated: the dispatch table with ShipOrder and EmailReceipt
builder.Services.AddSingleton<IShippingRates, FlatRates>();
builder.Services.AddModuleServer<ShippingDesk>();   // the desk runs here, one message at a time
builder.Services.AddEventRouterRabbitMQ(o =>
{
    o.ConnectionString = SampleSettings.ConnectionString;
    o.ServiceName = "shipping";
    o.JsonContext = SampleJsonContext.Default;
    o.CrossBroker("orders.placed");
    o.ServeModule<ShippingDesk>();                  // ...and answers other services through the broker
    o.PrefetchCount = 16;
});
using var host = builder.Build();
await host.StartAsync();
Console.WriteLine("shipping: waiting for orders (Ctrl+C to stop)");
var progress = host.Services.GetRequiredService<Progress>();
var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
await Task.WhenAny(progress.Done, Task.Delay(Timeout.Infinite, stopping).ContinueWith(static _ => { }, TaskScheduler.Default));
await host.StopAsync();

/// <summary>Counts handled orders so the sample can stop by itself.</summary>
internal sealed class Progress(int expected)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    public Task Done => _done.Task;

    public void Handled()
    {
        if (Interlocked.Increment(ref _count) >= expected)
        {
            _done.TrySetResult();
        }
    }
}

/// <summary>The Shipping service's rates: flat, cheaper for large orders.</summary>
internal sealed class FlatRates : IShippingRates
{
    public ShippingQuote Quote(QuoteShipping request)
    {
        var price = request.Total >= 50m ? 0m : 4.90m;
        Console.WriteLine($"shipping: quoted {request.OrderId}: {price} in 2 days");
        return new ShippingQuote(request.OrderId, price, Days: 2);
    }

    public void Hold(HoldShipment command) => Console.WriteLine($"shipping: holding {command.OrderId} ({command.Reason})");

    public IEnumerable<ShipmentUpdate> Track(TrackShipment request)
    {
        Console.WriteLine($"shipping: tracking {request.OrderId}");
        yield return new ShipmentUpdate(request.OrderId, "packed", Delivered: false);
        yield return new ShipmentUpdate(request.OrderId, "in transit", Delivered: false);
        yield return new ShipmentUpdate(request.OrderId, "delivered", Delivered: true);
        yield return new ShipmentUpdate(request.OrderId, "signed for", Delivered: true); // never read: the reader stops at delivered
    }
}

/// <summary>Books the shipment. A failure here is retried for this listener only.</summary>
[EventListener(Lifetime = ListenerLifetime.Scoped)]
internal sealed class ShipOrder(Progress progress) : IEventListener<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct)
    {
        Console.WriteLine($"shipping: ship {e.OrderId} for {e.Customer}");
        progress.Handled();
        return default;
    }
}

/// <summary>Sends the receipt, from its own queue: a slow mail server never delays shipping.</summary>
[EventListener]
internal sealed class EmailReceipt : IEventListener<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced e, CancellationToken ct)
    {
        Console.WriteLine($"shipping: receipt for {e.OrderId}, total {e.Total}");
        return default;
    }
}
