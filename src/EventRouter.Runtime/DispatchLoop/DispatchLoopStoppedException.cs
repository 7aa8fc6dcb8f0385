using System;

namespace EventRouter.DispatchLoop;

/// <summary>Thrown when an event is enqueued after the dispatch loop began to stop.</summary>
public sealed class DispatchLoopStoppedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public DispatchLoopStoppedException()
        : base("The event dispatch loop is stopping or has stopped and no longer accepts events.")
    {
    }
}
