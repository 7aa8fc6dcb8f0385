using System;

namespace EventRouter;

/// <summary>Gives an event type a stable name, used in logs, traces, the event map and as the broker routing key.</summary>
/// <remarks>Without this attribute an event's name is its full type name.</remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Interface, Inherited = false)]
public sealed class EventAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="name">The stable event name, for example <c>orders.placed</c>.</param>
    public EventAttribute(string name) => Name = name;

    /// <summary>The stable event name.</summary>
    public string Name { get; }
}
