using System;
using EventRouter.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds EventRouter's health checks to <c>services.AddHealthChecks()</c>.</summary>
public static class EventRouterHealthChecksBuilderExtensions
{
    /// <summary>The tag of checks that say whether the app can take work (a load balancer's question).</summary>
    public const string ReadyTag = "ready";

    /// <summary>The tag of checks that say whether the process is alive (an orchestrator restarts it when not).</summary>
    public const string LiveTag = "live";

    /// <summary>
    /// Adds three checks, each tagged <see cref="ReadyTag"/> and <see cref="LiveTag"/>:
    /// <c>eventrouter-dispatch-loop</c> (not started or stopped: unhealthy; queue full or new dead letters: degraded),
    /// <c>eventrouter-modules</c> (a stopped module server: unhealthy; a full queue: degraded) and
    /// <c>eventrouter-event-loops</c> (a blocked or terminated loop: unhealthy; a block since the last check: degraded).
    /// Each looks the part up when it runs, so the order of the <c>Add…</c> calls does not matter, and a part that is
    /// not registered reports healthy.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IHealthChecksBuilder AddEventRouter(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        string[] tags = [ReadyTag, LiveTag];
        // Singletons: "since the last check" needs the previous check's counts, and a registration's factory runs per check.
        builder.Services.TryAddSingleton<DispatchLoopHealthCheck>();
        builder.Services.TryAddSingleton<ModuleServersHealthCheck>();
        builder.Services.TryAddSingleton<EventLoopsHealthCheck>();
        builder.Add(new HealthCheckRegistration("eventrouter-dispatch-loop", static s => s.GetRequiredService<DispatchLoopHealthCheck>(), null, tags));
        builder.Add(new HealthCheckRegistration("eventrouter-modules", static s => s.GetRequiredService<ModuleServersHealthCheck>(), null, tags));
        builder.Add(new HealthCheckRegistration("eventrouter-event-loops", static s => s.GetRequiredService<EventLoopsHealthCheck>(), null, tags));
        return builder;
    }
}
