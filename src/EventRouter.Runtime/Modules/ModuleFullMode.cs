using System;

namespace EventRouter.Modules;

/// <summary>What a send does when the module's queue is full.</summary>
public enum ModuleFullMode
{
    /// <summary>The send waits until there is room (or the caller cancels, or the module stops).</summary>
    Wait = 0,

    /// <summary>The send fails at once with <see cref="ModuleQueueFullException"/>.</summary>
    Reject = 1,
}
