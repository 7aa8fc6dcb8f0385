using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Modules;
using EventRouter.Tests.Modules;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EventRouter.Tests.Hosting;

/// <summary>Every part's settings go through the options pipeline: Configure, repeated Add calls, configuration and validation at start.</summary>
public sealed class OptionsTests
{
    [Fact]
    public void AddEventRouter_CalledTwice_ComposesBothConfigurations()
    {
        var services = new ServiceCollection();
        services.AddEventRouter(o => o.PublishMode = PublishMode.Concurrent);
        services.AddEventRouter(o => o.NoListenerPolicy = NoListenerPolicy.Throw);
        using var provider = services.BuildServiceProvider();

        var dispatcher = provider.GetRequiredService<EventDispatcherBase>();
        Assert.Equal(PublishMode.Concurrent, dispatcher.Options.PublishMode);
        Assert.Equal(NoListenerPolicy.Throw, dispatcher.Options.NoListenerPolicy);
        Assert.Same(dispatcher.Options, provider.GetRequiredService<EventRouterOptions>());
    }

    [Fact]
    public void AddEventRouter_ServicesConfigure_IsHonoured()
    {
        var services = new ServiceCollection();
        services.Configure<EventRouterOptions>(o => o.NoListenerPolicy = NoListenerPolicy.Ignore);
        services.AddEventRouter();
        using var provider = services.BuildServiceProvider();

        Assert.Equal(NoListenerPolicy.Ignore, provider.GetRequiredService<EventDispatcherBase>().Options.NoListenerPolicy);
    }

    [Fact]
    public void AddEventRouter_PostConfigureAndRegisteredSetups_AreHonouredInOrder()
    {
        var services = new ServiceCollection();
        services.PostConfigure<EventRouterOptions>(o => o.NoListenerPolicy = NoListenerPolicy.Throw); // runs after every Configure
        services.AddEventRouter(o => o.NoListenerPolicy = NoListenerPolicy.Ignore);
        services.AddSingleton<IConfigureOptions<EventRouterOptions>>(new ConfigureOptions<EventRouterOptions>(o => o.PublishMode = PublishMode.Concurrent));
        services.Configure<EventRouterOptions>("other", o => o.PublishMode = PublishMode.Sequential); // another name: not ours
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<EventDispatcherBase>().Options;
        Assert.Equal(NoListenerPolicy.Throw, options.NoListenerPolicy);
        Assert.Equal(PublishMode.Concurrent, options.PublishMode);
    }

    [Fact]
    public void AddEventRouter_InvalidValue_WithoutAHost_FailsAtFirstResolveWithItsMessage()
    {
        var services = new ServiceCollection();
        services.AddEventRouter(o => o.PublishMode = (PublishMode)42);
        using var provider = services.BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<EventDispatcherBase>());
        Assert.Equal(typeof(EventRouterOptions), failure.OptionsType);
        Assert.Contains("Unknown PublishMode.", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddEventDispatchLoop_ServicesConfigure_IsHonoured()
    {
        var services = new ServiceCollection();
        services.AddEventRouter();
        services.AddEventDispatchLoop(o => o.Capacity = 15);
        services.Configure<DispatchLoopOptions>(o => o.MaxParallelism = 7);
        using var provider = services.BuildServiceProvider();

        // 7 lanes of 15 / 7 = 2 each: both settings reached the loop.
        Assert.Equal(14, provider.GetRequiredService<EventDispatchLoop>().Capacity);
    }

    [Fact]
    public void AddEventDispatchLoop_CalledTwice_ComposesAndRegistersOneLoop()
    {
        var services = new ServiceCollection();
        services.AddEventRouter();
        services.AddEventDispatchLoop(o => o.Capacity = 15);
        services.AddEventDispatchLoop(o => o.MaxParallelism = 7);
        using var provider = services.BuildServiceProvider();

        Assert.Equal(14, provider.GetRequiredService<EventDispatchLoop>().Capacity);
        Assert.Single(provider.GetServices<IHostedService>());
    }

    [Fact]
    public void AddEventDispatchLoop_FromConfiguration_BindsEverySetting()
    {
        var configuration = Configuration(new()
        {
            ["EventRouter:DispatchLoop:Capacity"] = "15",
            ["EventRouter:DispatchLoop:MaxParallelism"] = "7",
            ["EventRouter:DispatchLoop:FullMode"] = "DropNewest",
            ["EventRouter:DispatchLoop:DrainTimeout"] = "00:00:05",
            ["EventRouter:DispatchLoop:DeliveryTimeout"] = "00:00:02",
            ["EventRouter:DispatchLoop:IdempotencyCapacity"] = "50",
            ["EventRouter:DispatchLoop:RetryPolicy:MaxAttempts"] = "2",
            ["EventRouter:DispatchLoop:RetryPolicy:InitialDelay"] = "00:00:01",
        });
        var services = new ServiceCollection();
        services.AddEventRouter();
        services.AddEventDispatchLoop(configuration.GetSection("EventRouter:DispatchLoop"));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<DispatchLoopOptions>>().Value;
        Assert.Equal(15, options.Capacity);
        Assert.Equal(7, options.MaxParallelism);
        Assert.Equal(QueueFullMode.DropNewest, options.FullMode);
        Assert.Equal(TimeSpan.FromSeconds(5), options.DrainTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), options.DeliveryTimeout);
        Assert.Equal(50, options.IdempotencyCapacity);
        Assert.Equal(2, options.RetryPolicy.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(1), options.RetryPolicy.InitialDelay);
        Assert.Equal(RetryPolicy.Default.MaxDelay, options.RetryPolicy.MaxDelay);
        Assert.Equal(5, RetryPolicy.Default.MaxAttempts); // bound into the loop's own policy, not the shared default
        Assert.Equal(14, provider.GetRequiredService<EventDispatchLoop>().Capacity);
    }

    [Fact]
    public void AddEventRouter_BindConfiguration_SetsPublishSettings()
    {
        var configuration = Configuration(new()
        {
            ["EventRouter:PublishMode"] = "Concurrent",
            ["EventRouter:NoListenerPolicy"] = "Throw",
        });
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddOptions<EventRouterOptions>().BindConfiguration("EventRouter");
        services.AddEventRouter();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<EventDispatcherBase>().Options;
        Assert.Equal(PublishMode.Concurrent, options.PublishMode);
        Assert.Equal(NoListenerPolicy.Throw, options.NoListenerPolicy);
    }

    [Fact]
    public async Task AddEventDispatchLoop_InvalidValue_FailsAtStartWithItsMessage()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddEventRouter();
        builder.Services.AddEventDispatchLoop(o => o.MaxParallelism = 0);
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("The dispatch loop needs at least one worker.", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddEventDispatchLoop_InvalidConfiguredValue_FailsAtStartWithItsMessage()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["EventRouter:DispatchLoop:Capacity"] = "0" });
        builder.Services.AddEventRouter();
        builder.Services.AddEventDispatchLoop(builder.Configuration.GetSection("EventRouter:DispatchLoop"));
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("The dispatch loop's capacity must be at least 1.", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddEventRouter_InvalidValue_FailsAtStartWithItsMessage()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddEventRouter(o => o.NoListenerPolicy = (NoListenerPolicy)42);
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Unknown NoListenerPolicy.", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddModuleServer_ConfigurationAndConfigureAll_BothReachTheServer()
    {
        var configuration = Configuration(new()
        {
            ["Modules:Test:Capacity"] = "7",
            ["Modules:Test:FullMode"] = "Reject",
        });
        var services = new ServiceCollection();
        services.ConfigureAll<ModuleServerOptions>(o => o.RequestTimeout = TimeSpan.FromSeconds(3));
        services.AddModuleServer<TestModule>(configuration.GetSection("Modules:Test"));
        services.Configure<ModuleServerOptions>(ModuleServerOptions.NameOf(typeof(TestModule)), o => o.RunInlineWhenIdle = false);
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<ModuleServer<TestModule>>().Options;
        Assert.Equal(7, options.Capacity);
        Assert.Equal(ModuleFullMode.Reject, options.FullMode);
        Assert.Equal(TimeSpan.FromSeconds(3), options.RequestTimeout);
        Assert.False(options.RunInlineWhenIdle);
    }

    [Fact]
    public async Task AddModuleServer_InvalidConfiguredTimeout_FailsAtStartWithItsMessage()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Modules:Test:RequestTimeout"] = "-00:00:01" });
        builder.Services.AddModuleServer<TestModule>(builder.Configuration.GetSection("Modules:Test"));
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("RequestTimeout must be positive or Timeout.InfiniteTimeSpan.", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddEventDispatchLoop_WithoutAddEventRouter_NamesTheMissingCall()
    {
        var services = new ServiceCollection();
        services.AddEventDispatchLoop();
        using var provider = services.BuildServiceProvider();

        var failure = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<EventDispatchLoop>());
        Assert.Contains("AddEventDispatchLoop() needs the EventRouter dispatcher", failure.Message, StringComparison.Ordinal);
        Assert.Contains("services.AddEventRouter()", failure.Message, StringComparison.Ordinal);
    }

    private static IConfigurationRoot Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
