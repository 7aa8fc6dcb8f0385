using EventRouter;
using EventRouter.DispatchLoop;
using EventRouter.Generated;
using EventRouter.Modules;
using EventRouter.Reactor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PackageApp;

if (args is ["--startup"])
{
    return 0; // for start-up time measurements: runtime start, nothing else
}

var services = new ServiceCollection();
services.AddSingleton<Journal>();
services.AddEventRouter();
services.AddEventDispatchLoop(o => o.MaxParallelism = 1);
services.AddModuleServer<Inventory>();
await using var provider = services.BuildServiceProvider();

// What a generic host would do; this app keeps to DependencyInjection alone.
var hosted = provider.GetServices<IHostedService>().ToList();
foreach (var service in hosted)
{
    await service.StartAsync(CancellationToken.None);
}

var router = provider.GetRequiredService<EventDispatcher>();
var publisher = provider.GetRequiredService<IEventPublisher>();

await router.PublishAsync(new OrderPlaced("A-1", 12.5m));        // typed overload
await publisher.PublishAsync(new OrderShipped("A-1"));           // generic entry
await publisher.PublishAsync((object)new OrderPlaced("A-2", 3m)); // object entry
try
{
    await router.PublishAsync(new OrderShipped("B-2"));
}
catch (EventPublishException ex)
{
    foreach (var failure in ex.Failures)
    {
        Console.WriteLine($"failed: {ex.EventName} in {failure.Listener.Name}: {failure.Exception.Message}");
    }
}

// Reactor event loop: one dedicated thread; the publish runs on it and the listeners' awaits resume on it.
await using (var eventLoop = new EventLoop(new EventLoopOptions { Name = "app-loop", Publisher = router }))
{
    await eventLoop.InvokeAsync(async () => await router.PublishAsync(new OrderShipped("D-5")));
    Console.WriteLine($"event loop: {eventLoop.Name} idle, {eventLoop.PendingWorkCount} pending");
}

// Module server: commands (an empty one a filter skips), then a request answered with a typed response, then a request
// whose handler throws. The filters run on the module's server, around its handlers.
var inventory = provider.GetRequiredService<InventoryClient>();
await inventory.SendAsync(new Restock("A-1", 0));
await inventory.SendAsync(new Restock("A-1", 5));
Console.WriteLine($"inventory: {await inventory.RequestAsync(new Reserve("A-1", 2))} left");
try
{
    await inventory.RequestAsync(new Reserve("A-1", 9));
}
catch (InvalidOperationException ex)
{
    Console.WriteLine($"inventory: {ex.Message}");
}

// Dispatch loop: background delivery through the same dispatch table; stopping drains what was accepted.
var loop = provider.GetRequiredService<EventDispatchLoop>();
await loop.EnqueueAsync(new OrderShipped("C-3"));
var accepted = loop.TryEnqueue(new OrderPlaced("C-4", 1m));
for (var i = hosted.Count - 1; i >= 0; i--)
{
    await hosted[i].StopAsync(CancellationToken.None);
}
var counts = loop.Counts;
Console.WriteLine($"drained: accepted={accepted}, handled={counts.Handled} of {counts.Accepted}");

Console.WriteLine("routes: " + string.Join("; ", EventMap.Routes.Select(r => $"{r.EventName} -> {string.Join(", ", r.Listeners.Select(l => l.ListenerType))}")));
if (args is ["--event-map", var path])
{
    File.WriteAllText(path, "```mermaid\n" + EventMap.Mermaid + "```\n");
}
Console.WriteLine("done");
return 0;
