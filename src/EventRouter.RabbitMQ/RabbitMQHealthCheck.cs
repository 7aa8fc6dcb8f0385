using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.RabbitMQ;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the RabbitMQ bridge's health check to <c>services.AddHealthChecks()</c>.</summary>
public static class RabbitMQHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds <c>eventrouter-rabbitmq</c>, tagged <c>ready</c> only: healthy while the bridge is connected (its consumers
    /// run), unhealthy while it connects, recovers, was refused or has stopped. Not <c>live</c>: a broker outage is no
    /// reason to restart the process, and the bridge recovers by itself.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IHealthChecksBuilder AddEventRouterRabbitMQ(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(new HealthCheckRegistration(
            "eventrouter-rabbitmq",
            static services => new RabbitMQHealthCheck(services.GetRequiredService<RabbitMQBridgeStatus>()),
            null,
            [EventRouterHealthChecksBuilderExtensions.ReadyTag]));
        return builder;
    }

    private sealed class RabbitMQHealthCheck(RabbitMQBridgeStatus status) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var state = status.State;
            var data = new Dictionary<string, object>
            {
                ["state"] = state.ToString(),
                ["connectAttempts"] = status.ConnectAttempts,
            };
            if (status.LastError is { } error)
            {
                data["lastError"] = error;
            }
            return Task.FromResult(state == RabbitMQConnectionState.Connected
                ? HealthCheckResult.Healthy("Connected to the broker.", data)
                : HealthCheckResult.Unhealthy($"The broker connection is {state}." + (status.LastError is { } last ? " " + last : string.Empty), data: data));
        }
    }
}
