using System;

namespace EventRouter.Reactor;

/// <summary>Describes one detected blocking of an <see cref="EventLoop"/>.</summary>
public sealed class EventLoopBlockedEventArgs : EventArgs
{
    internal EventLoopBlockedEventArgs(EventLoop loop, TimeSpan blockedFor)
    {
        Loop = loop;
        BlockedFor = blockedFor;
    }

    /// <summary>The blocked loop.</summary>
    public EventLoop Loop { get; }

    /// <summary>How long the current work item had been running when the block was detected (a lower bound).</summary>
    public TimeSpan BlockedFor { get; }
}
