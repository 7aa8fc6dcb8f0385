using System;
using EventRouter;
using EventRouter.Modules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ModuleSample;

// spark-channel's example, typed end to end: create the server, get a dispatcher (here: the generated client),
// send requests and a command, then shut down.
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddModuleServer<DataModule>(options =>
{
    options.Capacity = 32;                          // spark-channel: mpsc::channel(32)
    options.FullMode = ModuleFullMode.Wait;         // backpressure: senders wait for room
    options.RequestTimeout = TimeSpan.FromSeconds(5);
});
using var host = builder.Build();
await host.StartAsync();

var client = host.Services.GetRequiredService<DataModuleClient>();

bool success = await client.RequestAsync(new UpdateData("user123", 1));
await client.RequestAsync(new UpdateData("user123", 2));
await client.RequestAsync(new UpdateData("user123", 3));
Data data = await client.RequestAsync(new GetData("user123")); // no downcast: the response type is Data
Console.WriteLine($"Update succeeded: {success}");
Console.WriteLine($"Received data: [{string.Join(", ", data.Values)}]");

await client.SendAsync(new LogEvent("User logged in"));

// spark-channel sends Shutdown(token); here the host stops the server gracefully: everything queued is handled.
await host.StopAsync();

try
{
    await client.RequestAsync(new GetData("user123"));
}
catch (ModuleStoppedException ex)
{
    Console.WriteLine($"After shutdown: {ex.Message}");
}
