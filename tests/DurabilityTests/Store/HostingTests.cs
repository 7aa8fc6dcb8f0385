using System;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Durability.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection;

namespace EventRouter.Durability.Tests.Store;

public sealed class HostingTests
{
    [Fact]
    public async Task ServiceProvider_DisposedSynchronously_DisposesTheStoreAndItsRelay()
    {
        await using var database = new SqliteTestDatabase();
        var services = new ServiceCollection()
            .AddSqliteStore(database.ConnectionString, o => o.JsonContext = TestJson.Default)
            .AddOutboxRelay(_ => (_, _) => default)
            .BuildServiceProvider();
        var store = services.GetRequiredService<DurableStore>();
        services.GetRequiredService<OutboxRelay>().Start();
        await store.Inbox.MarkCompletedAsync("order-1", "Billing", default);

        services.Dispose(); // a container that disposes synchronously must not throw for the store

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.Inbox.MarkCompletedAsync("order-2", "Billing", default).AsTask());
        await using var reopened = database.CreateStore();
        Assert.True(await reopened.Inbox.IsCompletedAsync("order-1", "Billing", default));
    }

    [Fact]
    public void AddStore_SecondStore_FailsAtRegistrationInsteadOfBeingIgnored()
    {
        var services = new ServiceCollection().AddSqliteStore("Data Source=first.db", o => o.JsonContext = TestJson.Default);

        var sqlite = Assert.Throws<InvalidOperationException>(() => services.AddSqliteStore("Data Source=second.db"));
        var postgres = Assert.Throws<InvalidOperationException>(() => services.AddPostgreSqlStore("Host=localhost;Database=second"));

        Assert.Contains("already registered", sqlite.Message, StringComparison.Ordinal);
        Assert.Equal(sqlite.Message, postgres.Message);
        Assert.Single(services, d => d.ServiceType == typeof(DurableStore));
    }

    [Fact]
    public void DurableRegistrations_WithoutAStore_NameTheMissingCall()
    {
        var services = new ServiceCollection().AddEventRouter().AddDurableDispatchLoop().AddOutboxRelayToDispatchLoop();
        services.AddHealthChecks().AddEventRouterStore();
        using var provider = services.BuildServiceProvider();

        var loop = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<EventDispatchLoop>());
        var relay = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<OutboxRelay>());
        var registration = Assert.Single(provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations);
        var health = Assert.Throws<InvalidOperationException>(() => registration.Factory(provider));

        Assert.StartsWith("AddDurableDispatchLoop() needs a durable store", loop.Message, StringComparison.Ordinal);
        Assert.StartsWith("AddOutboxRelay() needs a durable store", relay.Message, StringComparison.Ordinal);
        Assert.StartsWith("AddHealthChecks().AddEventRouterStore() needs a durable store", health.Message, StringComparison.Ordinal);
        Assert.All(new[] { loop, relay, health }, f => Assert.Contains("services.AddSqliteStore(", f.Message, StringComparison.Ordinal));
    }

}
