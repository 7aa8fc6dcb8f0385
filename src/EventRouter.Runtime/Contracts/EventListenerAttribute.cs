using System;

namespace EventRouter;

/// <summary>Marks a class whose <see cref="IEventListener{TEvent}"/> implementations the generator wires into the dispatch table.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class EventListenerAttribute : Attribute
{
    /// <summary>How instances are created and shared. Default: <see cref="ListenerLifetime.Singleton"/>.</summary>
    public ListenerLifetime Lifetime { get; set; } = ListenerLifetime.Singleton;
}
