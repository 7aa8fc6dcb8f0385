using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Durability.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EventRouter.Durability.Tests.Store;

/// <summary>
/// The store's and the relay's settings go through the options pipeline, as every other part's do: Configure, repeated
/// Add calls, configuration, and validation when the host starts with a message naming the setting and its value.
/// </summary>
public sealed class OptionsTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    private static readonly Dictionary<string, string?> EveryStoreSetting = new()
    {
        ["Store:InstanceName"] = "orders-2",
        ["Store:InboxRetention"] = "2.00:00:00",
        ["Store:SentOutboxRetention"] = "00:10:00",
        ["Store:CleanupInterval"] = "00:05:00",
        ["Store:MaxBatchSize"] = "64",
    };

    private static void AssertEveryStoreSetting(DurableStoreOptions options)
    {
        Assert.Equal("orders-2", options.InstanceName);
        Assert.Equal(TimeSpan.FromDays(2), options.InboxRetention);
        Assert.Equal(TimeSpan.FromMinutes(10), options.SentOutboxRetention);
        Assert.Equal(TimeSpan.FromMinutes(5), options.CleanupInterval);
        Assert.Equal(64, options.MaxBatchSize);
        Assert.Same(TestJson.Default, options.JsonContext);
    }

    [Fact]
    public async Task AddSqliteStore_FromConfiguration_BindsEverySetting_AndTheDelegateSetsTheRest()
    {
        var services = new ServiceCollection().AddSqliteStore(
            "Data Source=bound.db", Configuration(EveryStoreSetting).GetSection("Store"), o => o.JsonContext = TestJson.Default);
        await using var provider = services.BuildServiceProvider();

        AssertEveryStoreSetting(provider.GetRequiredService<DurableStore>().Options);
    }

    [Fact]
    public async Task AddPostgreSqlStore_FromConfiguration_BindsEverySetting_AndTheDelegateSetsTheRest()
    {
        // Nothing is opened until the store is used: no server is needed to build it.
        var services = new ServiceCollection().AddPostgreSqlStore(
            "Host=localhost;Database=bound", Configuration(EveryStoreSetting).GetSection("Store"), o => o.JsonContext = TestJson.Default);
        await using var provider = services.BuildServiceProvider();

        AssertEveryStoreSetting(provider.GetRequiredService<DurableStore>().Options);
    }

    [Fact]
    public async Task AddSqliteStore_ConfigurationKeyAbsent_LeavesTheDefault_AndTheDelegateWinsOverTheSection()
    {
        var configuration = Configuration(new() { ["Store:MaxBatchSize"] = "8", ["Store:InstanceName"] = "from-configuration" });
        var services = new ServiceCollection().AddSqliteStore(
            "Data Source=bound.db", configuration.GetSection("Store"), o => o.InstanceName = "from-code");
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<DurableStore>().Options;
        Assert.Equal(8, options.MaxBatchSize);
        Assert.Equal("from-code", options.InstanceName);
        Assert.Equal(new DurableStoreOptions().InboxRetention, options.InboxRetention);
    }

    [Fact]
    public async Task AddSqliteStore_ServicesConfigure_IsHonouredWhereverItIsCalled()
    {
        var services = new ServiceCollection();
        services.Configure<DurableStoreOptions>(o => o.InstanceName = "before");
        services.AddSqliteStore("Data Source=configured.db", o => o.JsonContext = TestJson.Default);
        services.Configure<DurableStoreOptions>(o => o.MaxBatchSize = 9);
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<DurableStore>().Options;
        Assert.Equal("before", options.InstanceName);
        Assert.Equal(9, options.MaxBatchSize);
        Assert.Same(TestJson.Default, options.JsonContext);
    }

    [Fact]
    public async Task AddOutboxRelay_FromConfiguration_BindsEverySetting()
    {
        var configuration = Configuration(new() { ["Relay:PollInterval"] = "00:00:02", ["Relay:BatchSize"] = "25" });
        var services = new ServiceCollection()
            .AddSqliteStore("Data Source=relay.db", o => o.JsonContext = TestJson.Default)
            .AddOutboxRelay(_ => (_, _) => default, configuration.GetSection("Relay"));
        await using var provider = services.BuildServiceProvider();

        var relay = provider.GetRequiredService<OutboxRelay>();
        Assert.Equal(TimeSpan.FromSeconds(2), relay.PollInterval);
        Assert.Equal(25, relay.BatchSize);
    }

    [Fact]
    public async Task AddOutboxRelayToDispatchLoop_FromConfiguration_AndServicesConfigure_BothReachTheRelay()
    {
        var configuration = Configuration(new() { ["Relay:BatchSize"] = "25" });
        var services = new ServiceCollection()
            .AddEventRouter()
            .AddSqliteStore("Data Source=relay.db", o => o.JsonContext = TestJson.Default)
            .AddDurableDispatchLoop()
            .AddOutboxRelayToDispatchLoop(configuration.GetSection("Relay"));
        services.Configure<OutboxRelayOptions>(o => o.PollInterval = TimeSpan.FromSeconds(3));
        await using var provider = services.BuildServiceProvider();

        var relay = provider.GetRequiredService<OutboxRelay>();
        Assert.Equal(TimeSpan.FromSeconds(3), relay.PollInterval);
        Assert.Equal(25, relay.BatchSize);
    }

    [Fact]
    public async Task AddOutboxRelay_CalledTwice_ComposesAndRegistersOneRelay()
    {
        var services = new ServiceCollection()
            .AddSqliteStore("Data Source=relay.db", o => o.JsonContext = TestJson.Default)
            .AddOutboxRelay(_ => (_, _) => default, o => o.BatchSize = 5)
            .AddOutboxRelay(_ => (_, _) => default, o => o.PollInterval = TimeSpan.FromSeconds(4));
        await using var provider = services.BuildServiceProvider();

        var relay = provider.GetRequiredService<OutboxRelay>();
        Assert.Equal(5, relay.BatchSize);
        Assert.Equal(TimeSpan.FromSeconds(4), relay.PollInterval);
        Assert.Single(provider.GetServices<IHostedService>(), s => s is OutboxRelay);
    }

    [Fact]
    public async Task AddDurableDispatchLoop_FromConfiguration_BindsTheLoopOverTheStore()
    {
        var configuration = Configuration(new() { ["Loop:Capacity"] = "15", ["Loop:MaxParallelism"] = "7" });
        var services = new ServiceCollection()
            .AddEventRouter()
            .AddSqliteStore("Data Source=loop.db", o => o.JsonContext = TestJson.Default)
            .AddDurableDispatchLoop(configuration.GetSection("Loop"));
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<DispatchLoopOptions>>().Value;
        Assert.Equal(15, options.Capacity);
        Assert.Equal(7, options.MaxParallelism);
        Assert.Same(provider.GetRequiredService<DurableStore>().Journal, provider.GetRequiredService<IDispatchLoopJournal>());
    }

    [Theory]
    [InlineData("InstanceName", " ", "DurableStoreOptions.InstanceName must not be empty.")]
    [InlineData("MaxBatchSize", "0", "DurableStoreOptions.MaxBatchSize must be at least 1")]
    [InlineData("InboxRetention", "00:00:00", "DurableStoreOptions.InboxRetention must be positive.")]
    [InlineData("SentOutboxRetention", "-00:00:01", "DurableStoreOptions.SentOutboxRetention must be zero or positive.")]
    [InlineData("CleanupInterval", "00:00:00", "DurableStoreOptions.CleanupInterval must be positive")]
    [InlineData("CleanupInterval", "60.00:00:00", "DurableStoreOptions.CleanupInterval must be positive (and below 49 days).")]
    public async Task AddSqliteStore_InvalidConfiguredValue_FailsAtStartNamingTheSettingAndItsValue(string key, string value, string message)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Store:" + key] = value });
        builder.Services.AddSqliteStore("Data Source=invalid.db", builder.Configuration.GetSection("Store"), o => o.JsonContext = TestJson.Default);
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(HangGuard));
        Assert.Equal(typeof(DurableStoreOptions), failure.OptionsType);
        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
        Assert.Contains($"(Parameter '{key}')", failure.Message, StringComparison.Ordinal);
        if (key != "InstanceName")
        {
            Assert.Contains("Actual value was ", failure.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("PollInterval", "00:00:00", "OutboxRelayOptions.PollInterval must be positive (and below 24 days).", "Actual value was 00:00:00.")]
    [InlineData("PollInterval", "30.00:00:00", "OutboxRelayOptions.PollInterval must be positive (and below 24 days).", "Actual value was 30.00:00:00.")]
    [InlineData("BatchSize", "0", "OutboxRelayOptions.BatchSize must be at least 1", "Actual value was 0.")]
    public async Task AddOutboxRelay_InvalidConfiguredValue_FailsAtStartNamingTheSettingAndItsValue(string key, string value, string message, string actual)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Relay:" + key] = value });
        builder.Services.AddSqliteStore("Data Source=invalid.db", o => o.JsonContext = TestJson.Default);
        builder.Services.AddOutboxRelay(_ => (_, _) => default, builder.Configuration.GetSection("Relay"));
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(HangGuard));
        Assert.Equal(typeof(OutboxRelayOptions), failure.OptionsType);
        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
        Assert.Contains($"(Parameter '{key}')", failure.Message, StringComparison.Ordinal);
        Assert.Contains(actual, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidValuesInCode_FailAtStart_NotAtRegistration()
    {
        var builder = Host.CreateApplicationBuilder();
        // Registering does not throw any more: the values are checked with every other part's when the host starts.
        builder.Services.AddSqliteStore("Data Source=invalid.db", o => o.JsonContext = TestJson.Default);
        builder.Services.AddOutboxRelay(_ => (_, _) => default, o => o.BatchSize = 0);
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(HangGuard));
        Assert.Equal(typeof(OutboxRelayOptions), failure.OptionsType);
        Assert.Contains("OutboxRelayOptions.BatchSize must be at least 1", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidValue_WithoutAHost_FailsAtFirstResolveWithItsMessage()
    {
        var services = new ServiceCollection().AddSqliteStore("Data Source=invalid.db", o => o.InboxRetention = TimeSpan.Zero);
        await using var provider = services.BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<DurableStore>());
        Assert.Contains("DurableStoreOptions.InboxRetention must be positive.", failure.Message, StringComparison.Ordinal);
    }
}
