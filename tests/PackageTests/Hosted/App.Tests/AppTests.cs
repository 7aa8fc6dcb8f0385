using EventRouter.DispatchLoop;
using EventRouter.Generated;
using EventRouter.Testing;
using Microsoft.Extensions.DependencyInjection;
using Shop.App;
using Shop.Listeners;
using Xunit;

namespace Shop.App.Tests;

public sealed class AppTests
{
    [Fact]
    public async Task PlacedOrder_IsHandledByTheLibrarysAndTheAppsListeners()
    {
        using var harness = EventRouterTestHarness.Start();
        using var host = AppHost.Build(Array.Empty<string>());
        await host.StartAsync();

        await host.Services.GetRequiredService<EventDispatchLoop>().EnqueueAsync(new OrderPlaced("T-1", 1m));
        await harness.WaitUntilAsync(r => r.Count(x => x.Kind == RecordKind.Handled) == 3, TimeSpan.FromSeconds(30));
        await host.StopAsync();

        Assert.Equal(
            new[] { "Shop.App.Shipping", "Shop.Listeners.Audit", "Shop.Listeners.Billing" },
            harness.Of(RecordKind.Handled).Select(r => r.Handler).Order(StringComparer.Ordinal));
        Assert.Empty(harness.Of(RecordKind.Failed));
    }

    [Fact]
    public async Task AddEventRouter_CalledInTheTests_IsTheAppsAndDispatchesToItsListeners()
    {
        // The app's AddEventRouter (internal, seen through InternalsVisibleTo) and this project's own must not be
        // ambiguous (CS0121): the plain call is the app's.
        await using var provider = new ServiceCollection().AddSingleton<OrderLog>().AddEventRouter().BuildServiceProvider();

        await provider.GetRequiredService<EventDispatcher>().PublishAsync(new OrderPlaced("T-2", 2m));

        Assert.Equal(
            new[] { "audit: T-2", "billing: T-2 2.00", "shipping: T-2" },
            provider.GetRequiredService<OrderLog>().Lines.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EventMap_IsTheApps()
    {
        // EventMap is the app's (internal, seen through InternalsVisibleTo); this project's own is one namespace further in.
        var route = Assert.Single(EventMap.Routes, r => r.EventName == "orders.placed");
        Assert.Equal(
            new[] { "Shop.App.Shipping", "Shop.Listeners.Audit", "Shop.Listeners.Billing" },
            route.Listeners.Select(l => l.ListenerType).Order(StringComparer.Ordinal));
    }
}
