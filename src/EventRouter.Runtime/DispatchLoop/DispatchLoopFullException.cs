using System;
using System.Collections.Generic;

namespace EventRouter.DispatchLoop;

/// <summary>Thrown by <see cref="EventDispatchLoop.EnqueueAsync(object, System.Threading.CancellationToken)"/> when the queue is full and <see cref="QueueFullMode.Reject"/> is set.</summary>
public sealed class DispatchLoopFullException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="eventName">The rejected event's name.</param>
    /// <param name="capacity">The queue's capacity.</param>
    public DispatchLoopFullException(string eventName, int capacity)
        : base($"The event dispatch loop's queue is full (capacity {capacity}, QueueFullMode.Reject): event '{eventName}' was not accepted. Retry later, raise Capacity, or use QueueFullMode.Wait.")
    {
        EventName = eventName;
        Capacity = capacity;
    }

    /// <summary>The rejected event's name.</summary>
    public string EventName { get; }

    /// <summary>The queue's capacity.</summary>
    public int Capacity { get; }
}
