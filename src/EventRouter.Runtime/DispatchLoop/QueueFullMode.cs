using System;
using System.Collections.Generic;

namespace EventRouter.DispatchLoop;

/// <summary>What enqueuing an event does when the dispatch loop's queue is full.</summary>
public enum QueueFullMode
{
    /// <summary><see cref="EventDispatchLoop.EnqueueAsync(object, System.Threading.CancellationToken)"/> waits for room (backpressure); <see cref="EventDispatchLoop.TryEnqueue"/> returns false.</summary>
    Wait = 0,

    /// <summary><see cref="EventDispatchLoop.EnqueueAsync(object, System.Threading.CancellationToken)"/> throws <see cref="DispatchLoopFullException"/>; <see cref="EventDispatchLoop.TryEnqueue"/> returns false.</summary>
    Reject = 1,

    /// <summary>The oldest queued event of the lane is discarded (and reported) to make room for the new one.</summary>
    DropOldest = 2,

    /// <summary>The newest queued event of the lane is discarded (and reported) to make room for the new one.</summary>
    DropNewest = 3,

    /// <summary>The event being enqueued is discarded (and reported); the queue keeps what it has.</summary>
    DropWrite = 4,
}
