using EventRouter;
using EventRouter.Generated;
using Microsoft.Extensions.DependencyInjection;
using PackageApp;

if (args is ["--startup"])
{
    return 0; // for start-up time measurements: runtime start, nothing else
}

var services = new ServiceCollection();
services.AddSingleton<Journal>();
services.AddEventRouter();
await using var provider = services.BuildServiceProvider();

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

Console.WriteLine("routes: " + string.Join("; ", EventMap.Routes.Select(r => $"{r.EventName} -> {string.Join(", ", r.Listeners.Select(l => l.ListenerType))}")));
if (args is ["--event-map", var path])
{
    File.WriteAllText(path, "```mermaid\n" + EventMap.Mermaid + "```\n");
}
Console.WriteLine("done");
return 0;
