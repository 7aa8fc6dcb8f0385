using System;
using System.Linq;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

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

    public static TestHost Create(BrokerFixture broker, string service, Recorder recorder, Action<RabbitMQOptions> configure, IIdempotencyStore? store = null, Action<IServiceCollection>? register = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(recorder);
        services.AddEventRouter();
        register?.Invoke(services);
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

    public static async Task<TestHost> StartAsync(BrokerFixture broker, string service, Recorder recorder, Action<RabbitMQOptions> configure, IIdempotencyStore? store = null, Action<IServiceCollection>? register = null)
    {
        var host = Create(broker, service, recorder, configure, store, register);
        await host.StartAsync();
        return host;
    }

    /// <summary>Starts every hosted service (the bridge, module servers) in registration order, as the generic host does.</summary>
    public async Task StartAsync()
    {
        foreach (var hosted in _provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(default);
        }
    }

    public T Get<T>() where T : notnull => _provider.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        using var stop = new System.Threading.CancellationTokenSource(TimeSpan.FromSeconds(30));
        foreach (var hosted in _provider.GetServices<IHostedService>().Reverse())
        {
            await hosted.StopAsync(stop.Token);
        }
        await _provider.DisposeAsync();
    }

    public static string NewServiceName() => "t" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>How long a broker test waits for a condition before it calls it a hang (recovery takes seconds).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    /// <summary>How often a broker test checks its condition (conditions read counters of other threads).</summary>
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
}
