using System;
using System.Collections.Generic;
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
