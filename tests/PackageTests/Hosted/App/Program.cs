using EventRouter.DispatchLoop;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Shop.App;
using Shop.Listeners;

using var host = AppHost.Build(args);
var health = host.Services.GetRequiredService<HealthCheckService>();
await host.StartAsync();

var options = host.Services.GetRequiredService<IOptions<DispatchLoopOptions>>().Value;
Console.WriteLine($"options: MaxParallelism={options.MaxParallelism} Capacity={options.Capacity} MaxAttempts={options.RetryPolicy.MaxAttempts}");

var loop = host.Services.GetRequiredService<EventDispatchLoop>();
await loop.EnqueueAsync(new OrderPlaced("A-1", 12.5m));
await loop.EnqueueAsync(new OrderPlaced("A-2", 3m));
var log = host.Services.GetRequiredService<OrderLog>();
await log.WaitForAsync(6, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)); // 2 events, 3 listeners
foreach (var line in log.Lines.Order(StringComparer.Ordinal)) // three workers: the order between events varies
{
    Console.WriteLine(line);
}

foreach (var (name, entry) in (await health.CheckHealthAsync()).Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
{
    Console.WriteLine($"health: {name} {entry.Status} [{string.Join(",", entry.Tags.Order(StringComparer.Ordinal))}]");
}
await host.StopAsync();
var stopped = await health.CheckHealthAsync(c => c.Name == "eventrouter-dispatch-loop");
Console.WriteLine($"after stop: {stopped.Status}");
Console.WriteLine("done");
