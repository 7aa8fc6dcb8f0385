using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.DispatchLoop;
using EventRouter.Modules;
using EventRouter.Reactor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace EventRouter.Hosting;

/// <summary>
/// The dispatch loop: unhealthy when not started or stopping; degraded while its queue is full or when events were
/// dead-lettered since the previous check.
/// </summary>
internal sealed class DispatchLoopHealthCheck(IServiceProvider services) : IHealthCheck
{
    private long _deadLetteredSeen;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (services.GetService<EventDispatchLoop>() is not { } loop)
        {
            return Task.FromResult(HealthCheckResult.Healthy("No dispatch loop is registered."));
        }
        var counts = loop.Counts;
        var queued = loop.QueuedCount;
        var data = new Dictionary<string, object>
        {
            ["queued"] = queued,
            ["capacity"] = loop.Capacity,
            ["deadLettered"] = counts.DeadLettered,
            ["inFlight"] = counts.InFlight,
        };
        var newDeadLetters = counts.DeadLettered - Interlocked.Exchange(ref _deadLetteredSeen, counts.DeadLettered);
        var result = !loop.IsStarted || loop.IsStopping
            ? HealthCheckResult.Unhealthy(loop.IsStopping ? "The dispatch loop is stopping or stopped." : "The dispatch loop has not started.", data: data)
            : queued >= loop.Capacity
                ? HealthCheckResult.Degraded($"The dispatch loop's queue is full ({queued} of {loop.Capacity}).", data: data)
                : newDeadLetters > 0
                    ? HealthCheckResult.Degraded($"{newDeadLetters} event(s) were dead-lettered since the last check.", data: data)
                    : HealthCheckResult.Healthy($"{queued} of {loop.Capacity} queued.", data);
        return Task.FromResult(result);
    }
}

/// <summary>Every module server: unhealthy when one has stopped, degraded while one's queue is full.</summary>
internal sealed class ModuleServersHealthCheck(IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var servers = services.GetServices<IHostedService>().OfType<ModuleServer>().ToArray();
        var data = new Dictionary<string, object>();
        var stopped = new List<string>();
        var full = new List<string>();
        foreach (var server in servers)
        {
            var queued = server.QueuedCount;
            data[server.Name] = queued;
            if (server.Completion.IsCompleted)
            {
                stopped.Add(server.Name);
            }
            else if (queued >= server.Options.Capacity)
            {
                full.Add(server.Name);
            }
        }
        var result = stopped.Count > 0
            ? HealthCheckResult.Unhealthy($"Module server(s) stopped: {string.Join(", ", stopped)}.", data: data)
            : full.Count > 0
                ? HealthCheckResult.Degraded($"Module server queue(s) full: {string.Join(", ", full)}.", data: data)
                : HealthCheckResult.Healthy($"{servers.Length} module server(s) running.", data);
        return Task.FromResult(result);
    }
}

/// <summary>
/// The event loops of the container's <see cref="EventLoopGroup"/>: unhealthy while one is blocked (a work item has run
/// past its blocked threshold and still runs) or has terminated; degraded when one was blocked since the previous check.
/// </summary>
internal sealed class EventLoopsHealthCheck(IServiceProvider services) : IHealthCheck
{
    private long _blockedSeen;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (services.GetService<EventLoopGroup>() is not { } group)
        {
            return Task.FromResult(HealthCheckResult.Healthy("No event loop group is registered."));
        }
        var blocked = group.Loops.Where(l => l.IsBlockedNow).Select(l => l.Name).ToArray();
        var ended = group.Loops.Where(l => l.Completion.IsCompleted).Select(l => l.Name).ToArray();
        var blockedCount = group.Loops.Sum(l => l.BlockedCount);
        var newBlocks = blockedCount - Interlocked.Exchange(ref _blockedSeen, blockedCount);
        var data = new Dictionary<string, object>
        {
            ["loops"] = group.Count,
            ["blockedCount"] = blockedCount,
            ["maxLagSeconds"] = group.Loops.Max(l => l.Lag.TotalSeconds),
        };
        var result = ended.Length > 0
            ? HealthCheckResult.Unhealthy($"Event loop(s) terminated: {string.Join(", ", ended)}.", data: data)
            : blocked.Length > 0
                ? HealthCheckResult.Unhealthy($"Event loop(s) blocked: {string.Join(", ", blocked)}.", data: data)
                : newBlocks > 0
                    ? HealthCheckResult.Degraded($"Event loops were blocked {newBlocks} time(s) since the last check.", data: data)
                    : HealthCheckResult.Healthy($"{group.Count} event loop(s) running.", data);
        return Task.FromResult(result);
    }
}
