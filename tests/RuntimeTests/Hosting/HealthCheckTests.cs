using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Reactor;
using EventRouter.Tests.DispatchLoop;
using EventRouter.Tests.Modules;
using Ping = EventRouter.Tests.DispatchLoop.Ping;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace EventRouter.Tests.Hosting;

/// <summary>Health of every part, through the health check service as an endpoint would ask it.</summary>
public sealed class HealthCheckTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AddEventRouter_HostedParts_UnhealthyBeforeStartHealthyWhileRunningUnhealthyAfterStop()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddEventRouter();
        builder.Services.AddEventDispatchLoop();
        builder.Services.AddModuleServer<TestModule>();
        builder.Services.AddEventLoopGroup(o => o.LoopCount = 1);
        builder.Services.AddHealthChecks().AddEventRouter();
        using var host = builder.Build();
        var health = host.Services.GetRequiredService<HealthCheckService>();

        var before = await health.CheckHealthAsync().WaitAsync(HangGuard);
        Assert.Equal(HealthStatus.Unhealthy, before.Entries["eventrouter-dispatch-loop"].Status);

        await host.StartAsync().WaitAsync(HangGuard);
        var running = await health.CheckHealthAsync().WaitAsync(HangGuard);
        Assert.Equal(HealthStatus.Healthy, running.Status);
        Assert.Equal(
            new[] { "eventrouter-dispatch-loop", "eventrouter-event-loops", "eventrouter-modules" },
            running.Entries.Keys.Order(StringComparer.Ordinal));
        var live = await health.CheckHealthAsync(r => r.Tags.Contains(EventRouterHealthChecksBuilderExtensions.LiveTag)).WaitAsync(HangGuard);
        var ready = await health.CheckHealthAsync(r => r.Tags.Contains(EventRouterHealthChecksBuilderExtensions.ReadyTag)).WaitAsync(HangGuard);
        Assert.Equal(3, live.Entries.Count);
        Assert.Equal(3, ready.Entries.Count);

        await host.StopAsync().WaitAsync(HangGuard);
        var after = await health.CheckHealthAsync().WaitAsync(HangGuard);
        Assert.Equal(HealthStatus.Unhealthy, after.Entries["eventrouter-dispatch-loop"].Status);
        Assert.Equal(HealthStatus.Unhealthy, after.Entries["eventrouter-modules"].Status);
        Assert.Contains(nameof(TestModule), after.Entries["eventrouter-modules"].Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Unhealthy, after.Entries["eventrouter-event-loops"].Status);
    }

    [Fact]
    public async Task DispatchLoop_DeadLetter_DegradedOnceThenHealthy()
    {
        var sink = new ListDeadLetterSink();
        var dispatcher = new TestDispatcher().Route(TestListener<Ping>.Of<ListenerA>(_ => throw new InvalidOperationException("always")));
        await using var loop = new EventDispatchLoop(dispatcher, new DispatchLoopOptions { RetryPolicy = RetryPolicy.None, DeadLetterSink = sink });
        var services = new ServiceCollection();
        services.AddSingleton(loop);
        services.AddLogging();
        services.AddHealthChecks().AddEventRouter();
        await using var provider = services.BuildServiceProvider();
        var health = provider.GetRequiredService<HealthCheckService>();
        loop.Start();

        await loop.EnqueueAsync(new Ping(1));
        await Eventually.WaitUntilAsync(() => loop.Counts.DeadLettered == 1);

        Assert.Equal(HealthStatus.Degraded, (await health.CheckHealthAsync()).Entries["eventrouter-dispatch-loop"].Status);
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Entries["eventrouter-dispatch-loop"].Status);
    }

    [Fact]
    public async Task EventLoops_BlockedLoop_UnhealthyWhileBlockedHealthyAfter()
    {
        var services = new ServiceCollection();
        services.AddEventLoopGroup(o =>
        {
            o.LoopCount = 1;
            o.BlockedThreshold = TimeSpan.FromMilliseconds(20);
        });
        services.AddLogging();
        services.AddHealthChecks().AddEventRouter();
        await using var provider = services.BuildServiceProvider();
        var health = provider.GetRequiredService<HealthCheckService>();
        var loop = provider.GetRequiredService<EventLoopGroup>().Loops[0];
        using var gate = new ManualResetEventSlim();

        var blocker = loop.InvokeAsync(() => gate.Wait(HangGuard));
        await Eventually.WaitUntilAsync(() => loop.BlockedCount == 1);
        var blocked = (await health.CheckHealthAsync()).Entries["eventrouter-event-loops"];
        gate.Set();
        await blocker.WaitAsync(HangGuard);
        await Eventually.WaitUntilAsync(() => !loop.IsBlockedNow);

        Assert.Equal(HealthStatus.Unhealthy, blocked.Status);
        Assert.Contains("blocked", blocked.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Entries["eventrouter-event-loops"].Status); // that block was reported
    }

    [Fact]
    public async Task EventLoops_BlockSinceTheLastCheck_DegradedOnceThenHealthy()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddEventLoopGroup(o =>
        {
            o.LoopCount = 1;
            o.BlockedThreshold = TimeSpan.FromMilliseconds(20);
        });
        services.AddHealthChecks().AddEventRouter();
        await using var provider = services.BuildServiceProvider();
        var health = provider.GetRequiredService<HealthCheckService>();
        var loop = provider.GetRequiredService<EventLoopGroup>().Loops[0];
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Entries["eventrouter-event-loops"].Status);
        using var gate = new ManualResetEventSlim();

        var blocker = loop.InvokeAsync(() => gate.Wait(HangGuard));
        await Eventually.WaitUntilAsync(() => loop.BlockedCount == 1);
        gate.Set();
        await blocker.WaitAsync(HangGuard);
        await Eventually.WaitUntilAsync(() => !loop.IsBlockedNow);

        Assert.Equal(HealthStatus.Degraded, (await health.CheckHealthAsync()).Entries["eventrouter-event-loops"].Status);
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Entries["eventrouter-event-loops"].Status);
    }
}
