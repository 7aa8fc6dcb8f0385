using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EventRouter.RabbitMQ.Tests;

/// <summary>The bridge's settings through the options pipeline; no broker needed.</summary>
public sealed class OptionsTests
{
    [Fact]
    public void FromConfiguration_BindsSettingsAndCodeSetsTheRest()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RabbitMQ:ConnectionString"] = "amqp://guest:guest@localhost:5672/",
            ["RabbitMQ:ServiceName"] = "billing",
            ["RabbitMQ:PrefetchCount"] = "8",
            ["RabbitMQ:PublishTimeout"] = "00:00:07",
            ["RabbitMQ:DelayedRetries:0"] = "00:00:01",
            ["RabbitMQ:Events:0"] = "orders.placed",
        }).Build();
        var services = new ServiceCollection();
        services.AddEventRouterRabbitMQ(configuration.GetSection("RabbitMQ"), o => o.JsonContext = TestJsonContext.Default);
        services.Configure<RabbitMQOptions>(o => o.ConsumerConcurrency = 3);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<RabbitMQOptions>>().Value;
        Assert.Equal("amqp://guest:guest@localhost:5672/", options.ConnectionString);
        Assert.Equal("billing", options.ServiceName);
        Assert.Equal(8, options.PrefetchCount);
        Assert.Equal(3, options.ConsumerConcurrency);
        Assert.Equal(32, new RabbitMQOptions().PrefetchCount);
        Assert.Equal(TimeSpan.FromSeconds(7), options.PublishTimeout);
        Assert.Equal(new[] { TimeSpan.FromSeconds(1) }, options.DelayedRetries);
        Assert.Contains("orders.placed", options.EventNames);
        Assert.Same(TestJsonContext.Default, options.JsonContext);
    }

    [Fact]
    public async Task MissingConnectionString_FailsAtStartWithItsMessage()
    {
        var services = new ServiceCollection();
        services.AddEventRouterRabbitMQ(o =>
        {
            o.ServiceName = "billing";
            o.JsonContext = TestJsonContext.Default;
        });
        await using var provider = services.BuildServiceProvider();

        // What the generic host runs before it starts hosted services (ValidateOnStart).
        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("RabbitMQOptions.ConnectionString is required", failure.Message, StringComparison.Ordinal);
    }
}

/// <summary>The bridge's health check; no broker needed (the bridge is never started).</summary>
public sealed class HealthCheckTests
{
    [Fact]
    public async Task NotConnected_UnhealthyAndTaggedReadyOnly()
    {
        var services = new ServiceCollection();
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(Microsoft.Extensions.Logging.Abstractions.NullLogger<>));
        services.AddEventRouterRabbitMQ(o =>
        {
            o.ConnectionString = "amqp://guest:guest@localhost:1/";
            o.ServiceName = "billing";
            o.JsonContext = TestJsonContext.Default;
        });
        services.AddHealthChecks().AddEventRouterRabbitMQ();
        await using var provider = services.BuildServiceProvider();
        var health = provider.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>();

        var report = await health.CheckHealthAsync();
        var entry = report.Entries["eventrouter-rabbitmq"];
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, entry.Status);
        Assert.Equal("Connecting", entry.Data["state"]);
        Assert.Empty((await health.CheckHealthAsync(r => r.Tags.Contains("live"))).Entries);
        Assert.Single((await health.CheckHealthAsync(r => r.Tags.Contains("ready"))).Entries);
    }
}
