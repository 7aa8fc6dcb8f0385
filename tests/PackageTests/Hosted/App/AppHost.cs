using EventRouter.DispatchLoop;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Shop.Listeners;

namespace Shop.App;

/// <summary>The app's host: the router, the dispatch loop configured from appsettings.json, health checks.</summary>
internal static class AppHost
{
    public static IHost Build(string[] args, Action<IServiceCollection>? configure = null)
    {
        // appsettings.json is read from the app's folder, wherever it is started from.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddSingleton<OrderLog>();
        builder.Services.AddEventRouter();
        builder.Services.AddEventDispatchLoop(builder.Configuration.GetSection("EventRouter:DispatchLoop"));
        builder.Services.AddHealthChecks().AddEventRouter();
        configure?.Invoke(builder.Services);
        return builder.Build();
    }
}

/// <summary>A listener of the app itself, next to the library's.</summary>
[EventRouter.EventListener]
internal sealed class Shipping(OrderLog log) : EventRouter.IEventListener<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced e, CancellationToken cancellationToken)
    {
        log.Add($"shipping: {e.OrderId}");
        return default;
    }
}
