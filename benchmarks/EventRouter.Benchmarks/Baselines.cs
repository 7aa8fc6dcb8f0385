using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;

namespace EventRouter.Benchmarks;

/// <summary>
/// The "direct" baseline: hand-written direct calls the way an expert writes them. Each listener's ValueTask is
/// checked with IsCompletedSuccessfully; only a pending one takes the async path. No exception isolation, no
/// cancellation checks between listeners: the cheapest correct code for the happy path.
/// </summary>
public sealed class DirectPublisher
{
    private readonly P1Listener _p1 = new();
    private readonly P10Listener0 _l0 = new();
    private readonly P10Listener1 _l1 = new();
    private readonly P10Listener2 _l2 = new();
    private readonly P10Listener3 _l3 = new();
    private readonly P10Listener4 _l4 = new();
    private readonly P10Listener5 _l5 = new();
    private readonly P10Listener6 _l6 = new();
    private readonly P10Listener7 _l7 = new();
    private readonly P10Listener8 _l8 = new();
    private readonly P10Listener9 _l9 = new();
    private readonly AuditListener0 _a0 = new();
    private readonly AuditListener1 _a1 = new();
    private readonly AuditListener2 _a2 = new();
    private readonly AuditListener3 _a3 = new();
    private readonly ShipmentListener0 _s0 = new();
    private readonly ShipmentListener1 _s1 = new();
    private readonly ShipmentListener2 _s2 = new();
    private readonly ParcelListener0 _pl0 = new();
    private readonly ParcelListener1 _pl1 = new();
    private readonly ParcelListener2 _pl2 = new();
    private readonly YieldListener0 _y0 = new();
    private readonly YieldListener1 _y1 = new();
    private readonly YieldListener2 _y2 = new();

    public ValueTask PublishAsync(Ping1 e, CancellationToken ct = default) => _p1.HandleAsync(e, ct);

    public ValueTask PublishAsync(Ping10 e, CancellationToken ct = default)
    {
        var t = _l0.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return Slow(t, 0, e, ct);
        t = _l1.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return Slow(t, 1, e, ct);
        t = _l2.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return Slow(t, 2, e, ct);
        t = _l3.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return Slow(t, 3, e, ct);
        t = _l4.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return Slow(t, 4, e, ct);
        t = _l5.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return Slow(t, 5, e, ct);
        t = _l6.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return Slow(t, 6, e, ct);
        t = _l7.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return Slow(t, 7, e, ct);
        t = _l8.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return Slow(t, 8, e, ct);
        t = _l9.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return Slow(t, 9, e, ct);
        return default;
    }

    private async ValueTask Slow(ValueTask pending, int index, Ping10 e, CancellationToken ct)
    {
        await pending.ConfigureAwait(false);
        for (var i = index + 1; i < 10; i++)
        {
            await Invoke(i, e, ct).ConfigureAwait(false);
        }
    }

    private ValueTask Invoke(int i, Ping10 e, CancellationToken ct) => i switch
    {
        0 => _l0.HandleAsync(e, ct),
        1 => _l1.HandleAsync(e, ct),
        2 => _l2.HandleAsync(e, ct),
        3 => _l3.HandleAsync(e, ct),
        4 => _l4.HandleAsync(e, ct),
        5 => _l5.HandleAsync(e, ct),
        6 => _l6.HandleAsync(e, ct),
        7 => _l7.HandleAsync(e, ct),
        8 => _l8.HandleAsync(e, ct),
        _ => _l9.HandleAsync(e, ct),
    };

    /// <summary>
    /// Not the baseline: direct calls plus what publish promises on top, a try/catch per listener so that one that
    /// throws synchronously does not stop the others. Separates the cost of that guarantee from the router's own.
    /// </summary>
    public ValueTask PublishGuardedAsync(Ping1 e, CancellationToken ct = default)
    {
        ValueTask t;
        try { t = _p1.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        return t.IsCompletedSuccessfully ? default : t;
    }

    /// <inheritdoc cref="PublishGuardedAsync(Ping1, CancellationToken)"/>
    public ValueTask PublishGuardedAsync(Ping10 e, CancellationToken ct = default)
    {
        ValueTask t;
        try { t = _l0.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Slow(t, 0, e, ct);
        try { t = _l1.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Slow(t, 1, e, ct);
        try { t = _l2.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Slow(t, 2, e, ct);
        try { t = _l3.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Slow(t, 3, e, ct);
        try { t = _l4.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Slow(t, 4, e, ct);
        try { t = _l5.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Slow(t, 5, e, ct);
        try { t = _l6.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Slow(t, 6, e, ct);
        try { t = _l7.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Slow(t, 7, e, ct);
        try { t = _l8.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Slow(t, 8, e, ct);
        try { t = _l9.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Slow(t, 9, e, ct);
        return default;
    }

    /// <summary>The polymorphic event's 10 listeners, called directly (upcasts are free).</summary>
    public ValueTask PublishAsync(ParcelShipped e, CancellationToken ct = default)
    {
        var t = _a0.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return SlowPolymorphic(t, 0, e, ct);
        t = _a1.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return SlowPolymorphic(t, 1, e, ct);
        t = _a2.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return SlowPolymorphic(t, 2, e, ct);
        t = _a3.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return SlowPolymorphic(t, 3, e, ct);
        t = _s0.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return SlowPolymorphic(t, 4, e, ct);
        t = _s1.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return SlowPolymorphic(t, 5, e, ct);
        t = _s2.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return SlowPolymorphic(t, 6, e, ct);
        t = _pl0.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return SlowPolymorphic(t, 7, e, ct);
        t = _pl1.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return SlowPolymorphic(t, 8, e, ct);
        t = _pl2.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return SlowPolymorphic(t, 9, e, ct);
        return default;
    }

    private async ValueTask SlowPolymorphic(ValueTask pending, int index, ParcelShipped e, CancellationToken ct)
    {
        await pending.ConfigureAwait(false);
        for (var i = index + 1; i < 10; i++)
        {
            await (i switch
            {
                0 => _a0.HandleAsync(e, ct),
                1 => _a1.HandleAsync(e, ct),
                2 => _a2.HandleAsync(e, ct),
                3 => _a3.HandleAsync(e, ct),
                4 => _s0.HandleAsync(e, ct),
                5 => _s1.HandleAsync(e, ct),
                6 => _s2.HandleAsync(e, ct),
                7 => _pl0.HandleAsync(e, ct),
                8 => _pl1.HandleAsync(e, ct),
                _ => _pl2.HandleAsync(e, ct),
            }).ConfigureAwait(false);
        }
    }

    /// <summary>Three listeners that really await: the async path is the normal path.</summary>
    public ValueTask PublishAsync(YieldPing e, CancellationToken ct = default)
    {
        var t = _y0.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return SlowYield(t, 0, e, ct);
        t = _y1.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return SlowYield(t, 1, e, ct);
        t = _y2.HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully) return SlowYield(t, 2, e, ct);
        return default;
    }

    private async ValueTask SlowYield(ValueTask pending, int index, YieldPing e, CancellationToken ct)
    {
        await pending.ConfigureAwait(false);
        if (index < 1) await _y1.HandleAsync(e, ct).ConfigureAwait(false);
        if (index < 2) await _y2.HandleAsync(e, ct).ConfigureAwait(false);
    }

    /// <summary>Scoped-DI baseline: a scope per publish and the scoped listener resolved from it, by hand.</summary>
    public static async ValueTask PublishScopedAsync(IServiceProvider services, ScopedPing e, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var t = scope.ServiceProvider.GetRequiredService<ScopedListener>().HandleAsync(e, ct);
        if (!t.IsCompletedSuccessfully)
        {
            await t.ConfigureAwait(false);
        }
    }
}

/// <summary>The naive baseline: an async method awaiting each listener from an array.</summary>
public sealed class NaiveLoopPublisher<TEvent>
{
    private readonly IEventListener<TEvent>[] _listeners;

    public NaiveLoopPublisher(params IEventListener<TEvent>[] listeners) => _listeners = listeners;

    public async ValueTask PublishAsync(TEvent e, CancellationToken ct = default)
    {
        foreach (var listener in _listeners)
        {
            await listener.HandleAsync(e, ct);
        }
    }
}

/// <summary>
/// The run-time registration design a compile-time table replaces: the listener list is
/// guarded by a lock and copied on every dispatch; every listener gets every event as <c>object</c> and type-tests it.
/// </summary>
public sealed class LockedListDispatcher
{
    private readonly object _gate = new();
    private readonly List<IObjectListener> _listeners = new();

    public void RegisterListener(IObjectListener listener)
    {
        lock (_gate)
        {
            _listeners.Add(listener);
        }
    }

    public async Task DispatchAsync(object @event)
    {
        List<IObjectListener> listeners;
        lock (_gate)
        {
            listeners = new List<IObjectListener>(_listeners);
        }
        foreach (var listener in listeners)
        {
            await listener.HandleAsync(@event);
        }
    }
}
