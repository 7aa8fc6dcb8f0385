using System;
using System.IO;
using System.Threading.Tasks;
using EventRouter;
using EventRouter.DispatchLoop;
using EventRouter.Modules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrderFlow;

/// <summary>Wires the order flow into a host: generated dispatcher, inventory module, background dispatch loop.</summary>
public static class OrderFlowApp
{
    /// <summary>Builds the host; tests pass their own clock or sink through <paramref name="configure"/>.</summary>
    public static IHost Build(TextWriter output, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(output);
        builder.Services.AddSingleton<CollectingDeadLetterSink>();
        builder.Services.AddSingleton<IDeadLetterSink>(sp => sp.GetRequiredService<CollectingDeadLetterSink>());
        builder.Services
            .AddEventRouter()
            .AddModuleServer<InventoryModule>()
            .AddEventDispatchLoop(options => options.RetryPolicy = new RetryPolicy
            {
                MaxAttempts = 3,
                InitialDelay = TimeSpan.FromMilliseconds(10),
                Jitter = 0,
            });
        configure?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>Places two orders; the expensive one's payment is dead-lettered after three attempts.</summary>
    public static async Task<int> RunAsync(TextWriter output)
    {
        using var host = Build(output);
        await host.StartAsync().ConfigureAwait(false);
        var loop = host.Services.GetRequiredService<EventDispatchLoop>();

        output.WriteLine("== orders ==");
        await loop.EnqueueAsync(new OrderPlaced("o-1", "ada", "book", 2, 30m)).ConfigureAwait(false);
        await loop.EnqueueAsync(new OrderPlaced("o-2", "ada", "lamp", 1, 1500m)).ConfigureAwait(false);
        await host.StopAsync().ConfigureAwait(false); // drains: both orders are finished before this returns

        output.WriteLine("== dead letters ==");
        foreach (var letter in host.Services.GetRequiredService<CollectingDeadLetterSink>().Letters)
        {
            output.WriteLine($"  {letter.EventName} {letter.EventId}: {letter.Listener.Name} gave up after {letter.Attempts} attempts: {letter.Exception.Message}");
        }
        var counts = loop.Counts;
        output.WriteLine($"accepted {counts.Accepted}, handled {counts.Handled}, dead-lettered {counts.DeadLettered}");
        return 0;
    }
}
