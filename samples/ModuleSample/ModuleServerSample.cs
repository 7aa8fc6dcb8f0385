using System;
using System.IO;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.Modules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ModuleSample;

/// <summary>
/// spark-channel's example, typed end to end: create the server, get a dispatcher (here: the generated client),
/// send requests and a command, then shut down.
/// </summary>
public static class ModuleServerSample
{
    /// <summary>Runs the sample, writing to <paramref name="output"/>; returns the exit code.</summary>
    public static async Task<int> RunAsync(TextWriter output)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(output);
        // Also registers the module's filters (MessageLogFilter), which wrap every handler on the module's server.
        builder.Services.AddModuleServer<DataModule>(options =>
        {
            options.Capacity = 32;                          // spark-channel: mpsc::channel(32)
            options.FullMode = ModuleFullMode.Wait;         // backpressure: senders wait for room
            options.RequestTimeout = TimeSpan.FromSeconds(5);
        });
        using var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);

        var client = host.Services.GetRequiredService<DataModuleClient>();

        output.WriteLine("== spark-channel example ==");
        bool success = await client.RequestAsync(new UpdateData("user123", 1)).ConfigureAwait(false);
        await client.RequestAsync(new UpdateData("user123", 2)).ConfigureAwait(false);
        await client.RequestAsync(new UpdateData("user123", 3)).ConfigureAwait(false);
        Data data = await client.RequestAsync(new GetData("user123")).ConfigureAwait(false); // no downcast: the response type is Data
        output.WriteLine($"Update succeeded: {success}");
        output.WriteLine($"Received data: [{string.Join(", ", data.Values)}]");

        await client.SendAsync(new LogEvent("User logged in")).ConfigureAwait(false);

        // spark-channel sends Shutdown(token); here the host stops the server gracefully: the queued LogEvent is
        // handled first, then every later send fails fast.
        await host.StopAsync().ConfigureAwait(false);
        try
        {
            await client.RequestAsync(new GetData("user123")).ConfigureAwait(false);
            output.WriteLine("After shutdown: answered (unexpected)");
            return 1;
        }
        catch (ModuleStoppedException)
        {
            output.WriteLine("After shutdown: ModuleStoppedException");
        }

        output.WriteLine("done");
        return 0;
    }
}
