using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using EventRouter.Durability;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the durable store's health check to <c>services.AddHealthChecks()</c>.</summary>
public static class DurabilityHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds <c>eventrouter-store</c>, tagged <c>ready</c> only: unhealthy while the store's database cannot be read;
    /// degraded while the oldest unsent outbox event has waited longer than <paramref name="maxRelayLag"/> (the relay
    /// is stuck or behind), or when dead letters were added since the last check; healthy otherwise. Its data holds
    /// the <see cref="DurableStoreStatus"/>. Not <c>live</c>: a database outage is no reason to restart the process.
    /// </summary>
    /// <param name="builder">The health checks builder, with a store registered (<c>AddSqliteStore</c>, <c>AddPostgreSqlStore</c>).</param>
    /// <param name="maxRelayLag">The relay lag above which the check reports degraded. Default: one minute.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IHealthChecksBuilder AddEventRouterStore(this IHealthChecksBuilder builder, TimeSpan? maxRelayLag = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var lag = maxRelayLag ?? TimeSpan.FromMinutes(1);
        if (lag <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(maxRelayLag), lag, "The relay lag limit must be positive.");
        }
        // A singleton: "since the last check" needs the previous check's count.
        builder.Services.TryAddSingleton(provider => new DurableStoreHealthCheck(RequiredStore.Get(provider, "AddHealthChecks().AddEventRouterStore()"), lag));
        builder.Add(new HealthCheckRegistration(
            "eventrouter-store",
            static services => services.GetRequiredService<DurableStoreHealthCheck>(),
            null,
            [EventRouterHealthChecksBuilderExtensions.ReadyTag]));
        return builder;
    }

    private sealed class DurableStoreHealthCheck(DurableStore store, TimeSpan maxRelayLag) : IHealthCheck
    {
        private long _deadLetters = -1;

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            DurableStoreStatus status;
            try
            {
                status = await store.GetStatusAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DurableStoreException ex)
            {
                return HealthCheckResult.Unhealthy($"The {store} cannot be read: {ex.Message}", ex);
            }
            var data = new Dictionary<string, object>
            {
                ["pendingEvents"] = status.PendingEvents,
                ["unsentOutboxEvents"] = status.UnsentOutboxEvents,
                ["relayLagSeconds"] = status.RelayLag.TotalSeconds,
                ["deadLetters"] = status.DeadLetters,
            };
            var before = Interlocked.Exchange(ref _deadLetters, status.DeadLetters);
            if (status.RelayLag > maxRelayLag)
            {
                return HealthCheckResult.Degraded($"The oldest unsent outbox event has waited {status.RelayLag} (more than {maxRelayLag}).", data: data);
            }
            if (before >= 0 && status.DeadLetters > before)
            {
                return HealthCheckResult.Degraded($"{status.DeadLetters - before} dead letter(s) since the last check ({status.DeadLetters} in all).", data: data);
            }
            return HealthCheckResult.Healthy($"The {store} is reachable.", data);
        }
    }
}
