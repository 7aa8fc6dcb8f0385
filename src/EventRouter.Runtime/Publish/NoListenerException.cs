using System;
using System.Linq;
using System.Text;

namespace EventRouter;

/// <summary>Thrown by publish when no listener handles the event and <see cref="NoListenerPolicy.Throw"/> is set.</summary>
public sealed class NoListenerException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public NoListenerException(string eventName, Type eventType)
        : base($"No listener handles event '{eventName}' ({eventType.FullName}). Add an [EventListener] for it, or set NoListenerPolicy to Ignore or Log.")
    {
        EventName = eventName;
        EventType = eventType;
    }

    /// <summary>The event's name.</summary>
    public string EventName { get; }

    /// <summary>The event's runtime type.</summary>
    public Type EventType { get; }
}
