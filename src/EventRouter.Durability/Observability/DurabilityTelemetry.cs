using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading;

namespace EventRouter.Durability;

/// <summary>
/// The store's instruments, on the runtime's meter name (<see cref="EventRouterDiagnostics.MeterName"/>): the
/// group commit's batch size, recorded per commit, and gauges of what the stores hold, tagged with the store's
/// instance name. The gauges report each store's last <see cref="DurableStore.GetStatusAsync"/> (the health check
/// reads it; a collection that finds it older than <see cref="RefreshAfter"/> reads it again in the background), so
/// collecting never waits for the database.
/// </summary>
internal static class DurabilityTelemetry
{
    /// <summary>How old a store's status may be before a collection reads it again.</summary>
    public static readonly TimeSpan RefreshAfter = TimeSpan.FromSeconds(10);

    private static readonly Meter s_meter = new(EventRouterDiagnostics.MeterName, typeof(DurabilityTelemetry).Assembly.GetName().Version?.ToString());
    private static readonly ConcurrentDictionary<long, WeakReference<DurableStore>> s_stores = new();
    private static long s_next;

    public static readonly Histogram<long> BatchSize = s_meter.CreateHistogram<long>(
        "eventrouter.store.batch_size", "{write}", "Writes committed together in one transaction by a store's group commit.");

    static DurabilityTelemetry()
    {
        s_meter.CreateObservableGauge("eventrouter.store.pending", () => Observe(static s => s.PendingEvents), "{event}",
            "Events a durable dispatch loop accepted and has not finished.");
        s_meter.CreateObservableGauge("eventrouter.store.outbox_pending", () => Observe(static s => s.UnsentOutboxEvents), "{event}",
            "Committed outbox events not sent yet.");
        s_meter.CreateObservableGauge("eventrouter.store.relay_lag", () => Observe(static s => s.RelayLag.TotalSeconds), "s",
            "How long the oldest unsent outbox event has waited.");
        s_meter.CreateObservableGauge("eventrouter.store.dead_letters", () => Observe(static s => s.DeadLetters), "{letter}",
            "Dead letters in a store's table.");
    }

    /// <summary>Reports the store on the gauges until it is disposed (held weakly, so a store never disposed still goes).</summary>
    public static long Register(DurableStore store)
    {
        var id = Interlocked.Increment(ref s_next);
        s_stores[id] = new WeakReference<DurableStore>(store);
        return id;
    }

    public static void Unregister(long id) => s_stores.TryRemove(id, out _);

    private static IEnumerable<Measurement<double>> Observe(Func<DurableStoreStatus, double> read)
    {
        foreach (var (id, weak) in s_stores)
        {
            if (!weak.TryGetTarget(out var store))
            {
                s_stores.TryRemove(id, out _);
                continue;
            }
            if (store.ObservedStatus() is { } status)
            {
                yield return new Measurement<double>(read(status), new KeyValuePair<string, object?>("eventrouter.instance", store.Options.InstanceName));
            }
        }
    }
}
