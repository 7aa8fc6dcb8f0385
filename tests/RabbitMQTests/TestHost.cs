using System;
using System.Diagnostics;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using Microsoft.Extensions.DependencyInjection;

namespace EventRouter.RabbitMQ.Tests;

/// <summary>One "service instance": a container with the generated router and the RabbitMQ bridge.</summary>
internal sealed class TestHost : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private TestHost(ServiceProvider provider)
    {
        _provider = provider;
        Bridge = provider.GetRequiredService<RabbitMQBridge>();
        Publisher = provider.GetRequiredService<IBrokerPublisher>();
    }

    public RabbitMQBridge Bridge { get; }

    public IBrokerPublisher Publisher { get; }

    public static TestHost Create(BrokerFixture broker, string service, Recorder recorder, Action<RabbitMQOptions> configure, IIdempotencyStore? store = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(recorder);
        services.AddEventRouter();
        services.AddEventRouterRabbitMQ(o =>
        {
            o.ConnectionString = broker.Uri;
            o.ServiceName = service;
            o.JsonContext = TestJsonContext.Default;
            o.NetworkRecoveryInterval = TimeSpan.FromMilliseconds(500);
            o.IdempotencyStore = store;
            configure(o);
        });
        return new TestHost(services.BuildServiceProvider());
    }

    public static async Task<TestHost> StartAsync(BrokerFixture broker, string service, Recorder recorder, Action<RabbitMQOptions> configure, IIdempotencyStore? store = null)
    {
        var host = Create(broker, service, recorder, configure, store);
        await host.Bridge.StartAsync(default);
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new System.Threading.CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Bridge.StopAsync(stop.Token);
        await _provider.DisposeAsync();
    }

    public static string NewServiceName() => "t" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Polls a condition until it holds; fails with <paramref name="what"/> after a generous timeout.</summary>
    public static async Task Eventually(Func<bool> condition, string what, int timeoutSeconds = 120)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(timeoutSeconds))
            {
                Assert.Fail($"Timed out after {timeoutSeconds} s waiting for: {what}");
            }
            await Task.Delay(50);
        }
    }
}
