using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace EventRouter.Benchmarks;

/// <summary>
/// NOT SHIPPED CODE: a hand-written prototype of what the generator could emit for the typed fast path, kept here
/// to measure it against the generated code in the same run. Same semantics on the
/// happy path as the generated code (null check, lazily created singleton, per-listener exception isolation,
/// concurrent mode and run-time subscribers go to the slow path), but: one combined "slow" flag instead of
/// IsConcurrent plus a per-route HasSubscribers load, and the method is small and marked AggressiveInlining so that
/// .NET 10 (which can inline methods with EH) may inline it into the caller.
/// </summary>
public sealed class PrototypeDispatcher
{
    private P1Listener? _p1;
    private P10Listener0? _l0;
    private P10Listener1? _l1;
    private P10Listener2? _l2;
    private P10Listener3? _l3;
    private P10Listener4? _l4;
    private P10Listener5? _l5;
    private P10Listener6? _l6;
    private P10Listener7? _l7;
    private P10Listener8? _l8;
    private P10Listener9? _l9;

    /// <summary>Concurrent mode or any run-time subscriber: one field, written when either changes.</summary>
    private bool _slow;

    public PrototypeDispatcher()
    {
        _p1 = new(); _l0 = new(); _l1 = new(); _l2 = new(); _l3 = new(); _l4 = new();
        _l5 = new(); _l6 = new(); _l7 = new(); _l8 = new(); _l9 = new();
    }

    public bool Slow { get => _slow; set => _slow = value; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ValueTask PublishAsync(Ping1 e, CancellationToken ct = default)
    {
        var l = _p1;
        if (e is null || l is null || _slow) return PublishSlow(e, ct);
        ValueTask t;
        try { t = l.HandleAsync(e, ct); }
        catch (Exception ex) { t = ValueTask.FromException(ex); }
        return t.IsCompletedSuccessfully ? default : t;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ValueTask PublishAsync(Ping10 e, CancellationToken ct = default)
    {
        if (e is null || _slow) return PublishSlow(e, ct);
        ValueTask t;
        try { t = _l0!.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Continue(t, 0, e, ct);
        try { t = _l1!.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Continue(t, 1, e, ct);
        try { t = _l2!.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Continue(t, 2, e, ct);
        try { t = _l3!.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Continue(t, 3, e, ct);
        try { t = _l4!.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Continue(t, 4, e, ct);
        try { t = _l5!.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Continue(t, 5, e, ct);
        try { t = _l6!.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Continue(t, 6, e, ct);
        try { t = _l7!.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Continue(t, 7, e, ct);
        try { t = _l8!.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Continue(t, 8, e, ct);
        try { t = _l9!.HandleAsync(e, ct); } catch (Exception ex) { t = ValueTask.FromException(ex); }
        if (!t.IsCompletedSuccessfully) return Continue(t, 9, e, ct);
        return default;
    }

    // The slow paths are outside the measured happy path; the prototype only needs them to exist and not inline.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ValueTask PublishSlow(object? e, CancellationToken ct) =>
        e is null ? ValueTask.FromException(new ArgumentNullException(nameof(e))) : default;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ValueTask Continue(ValueTask pending, int index, Ping10 e, CancellationToken ct) => pending;
}
