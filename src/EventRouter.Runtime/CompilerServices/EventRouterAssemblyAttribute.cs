using System;
using System.ComponentModel;

namespace EventRouter.CompilerServices;

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
