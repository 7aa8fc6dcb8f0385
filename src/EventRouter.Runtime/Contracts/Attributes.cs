using System;
using System.ComponentModel;

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

/// <summary>Marks a class whose <see cref="IEventListener{TEvent}"/> implementations the generator wires into the dispatch table.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class EventListenerAttribute : Attribute
{
    /// <summary>How instances are created and shared. Default: <see cref="ListenerLifetime.Singleton"/>.</summary>
    public ListenerLifetime Lifetime { get; set; } = ListenerLifetime.Singleton;
}

/// <summary>The lifetime of a listener instance.</summary>
public enum ListenerLifetime
{
    /// <summary>One instance for the whole router, created on first use.</summary>
    Singleton = 0,

    /// <summary>One instance per dependency-injection scope; every publish or delivery gets its own scope.</summary>
    Scoped = 1,

    /// <summary>A new instance for every invocation.</summary>
    Transient = 2,
}

/// <summary>Marks the property that identifies an event, for de-duplication by the dispatch loop and the broker.</summary>
/// <remarks>An alternative to implementing <see cref="IIdentifiableEvent"/>; the generator reads it at compile time.</remarks>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, Inherited = false)]
public sealed class EventIdAttribute : Attribute
{
}

/// <summary>Marks the property whose value orders events: events with the same key are handled one after another.</summary>
/// <remarks>An alternative to implementing <see cref="IPartitionedEvent"/>; the generator reads it at compile time.</remarks>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, Inherited = false)]
public sealed class PartitionKeyAttribute : Attribute
{
}

/// <summary>An event that carries its own id, used to de-duplicate deliveries per listener.</summary>
public interface IIdentifiableEvent
{
    /// <summary>A value that is the same for every delivery of the same event.</summary>
    string EventId { get; }
}

/// <summary>An event that carries a partition key: events with the same key are handled in order.</summary>
public interface IPartitionedEvent
{
    /// <summary>The ordering key.</summary>
    string PartitionKey { get; }
}

/// <summary>
/// Emitted by the generator into every assembly that declares listeners, so that the generator of an application
/// referencing that assembly can dispatch to them without reflection. Not for use in user code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class EventRouterAssemblyAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    public EventRouterAssemblyAttribute(Type[] listeners, Type[] events)
    {
        Listeners = listeners;
        Events = events;
    }

    /// <summary>The public listener types declared in the assembly.</summary>
    public Type[] Listeners { get; }

    /// <summary>The event types declared in the assembly that the generator found (named or derived from listened types).</summary>
    public Type[] Events { get; }
}
