using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading;

namespace EventRouter;

/// <summary>
/// One observable gauge reporting a value per live instance (dispatch loop, module server, event loop). Instances
/// are held weakly, so one that is never disposed still disappears from the gauge once collected.
/// </summary>
internal sealed class InstanceGauge
{
    private readonly ConcurrentDictionary<long, Entry> _entries = new();
    private long _next;

    public InstanceGauge(string name, string unit, string description) =>
        Telemetry.Meter.CreateObservableGauge(name, Observe, unit, description);

    /// <summary>Reports <paramref name="read"/>(<paramref name="owner"/>) tagged with <paramref name="instance"/> until disposed.</summary>
    public IDisposable Add<TOwner>(TOwner owner, string instance, Func<TOwner, double> read) where TOwner : class
    {
        var id = Interlocked.Increment(ref _next);
        var weak = new WeakReference<TOwner>(owner);
        _entries[id] = new Entry(instance, () => weak.TryGetTarget(out var target) ? read(target) : null);
        return new Registration(this, id);
    }

    private IEnumerable<Measurement<double>> Observe()
    {
        foreach (var (id, entry) in _entries)
        {
            if (entry.Read() is { } value)
            {
                yield return new Measurement<double>(value, new KeyValuePair<string, object?>("eventrouter.instance", entry.Instance));
            }
            else
            {
                _entries.TryRemove(id, out _);
            }
        }
    }

    private sealed record Entry(string Instance, Func<double?> Read);

    private sealed class Registration(InstanceGauge owner, long id) : IDisposable
    {
        public void Dispose() => owner._entries.TryRemove(id, out _);
    }
}
