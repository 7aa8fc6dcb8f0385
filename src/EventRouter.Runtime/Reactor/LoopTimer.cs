using System;
using System.Threading;

namespace EventRouter.Reactor;

/// <summary>A one-shot or periodic timer owned by an <see cref="EventLoop"/>; its callback runs on the loop thread.</summary>
/// <remarks>Create one with <see cref="EventLoop.Schedule(TimeSpan, Action{object?}, object?)"/> or its overloads.</remarks>
public sealed class LoopTimer
{
    internal const int StateScheduled = 0;
    internal const int StateCancelled = 1;
    internal const int StateCompleted = 2;

    private int _state;

    internal LoopTimer(EventLoop loop, long due, long period, object callback, object? state, string? name)
    {
        Loop = loop;
        Due = due;
        Period = period;
        Callback = callback;
        State = state;
        Name = name;
    }

    // Loop-owned fields: written only on the loop thread once the timer is handed to it.
    internal long Due;
    internal long Sequence;
    internal long FireCountValue;
    internal readonly long Period;
    internal readonly object Callback;
    internal readonly object? State;
    internal readonly string? Name;

    /// <summary>The loop that runs this timer.</summary>
    public EventLoop Loop { get; }

    /// <summary>True for a periodic timer.</summary>
    public bool IsPeriodic => Period > 0;

    /// <summary>True until the timer is cancelled or, for a one-shot timer, has fired.</summary>
    public bool IsActive => Volatile.Read(ref _state) == StateScheduled;

    /// <summary>How many times the timer has fired. Exact when read on the loop thread.</summary>
    public long FireCount => Volatile.Read(ref FireCountValue);

    /// <summary>
    /// Stops the timer: its callback will not run again. Safe from any thread; O(1) (the loop drops the entry lazily).
    /// </summary>
    /// <returns>True if this call stopped the timer; false if it had already fired (one-shot) or been cancelled.</returns>
    public bool Cancel()
    {
        if (Interlocked.CompareExchange(ref _state, StateCancelled, StateScheduled) != StateScheduled)
        {
            return false;
        }
        Loop.OnTimerCancelled();
        return true;
    }

    internal bool IsCancelled => Volatile.Read(ref _state) == StateCancelled;

    /// <summary>Marks a one-shot timer fired; false if a concurrent <see cref="Cancel"/> won.</summary>
    internal bool TryComplete() => Interlocked.CompareExchange(ref _state, StateCompleted, StateScheduled) == StateScheduled;

    /// <summary>Makes a fired one-shot timer schedulable again (loop thread only, used for idle timeouts).</summary>
    internal bool TryRearm() => Interlocked.CompareExchange(ref _state, StateScheduled, StateCompleted) == StateCompleted;
}
