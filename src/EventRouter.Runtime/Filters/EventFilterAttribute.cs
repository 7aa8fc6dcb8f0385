using System;

namespace EventRouter;

/// <summary>
/// Declares a filter that the generator composes around listeners (an <see cref="IEventFilter"/>), module request and
/// command handlers (an <see cref="IModuleFilter"/>), or both when the class implements both.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class EventFilterAttribute : Attribute
{
    /// <summary>Position in the chain: lower runs first (outermost). Two filters with the same order are reported (ER0007).</summary>
    public int Order { get; set; }

    /// <summary>
    /// Restricts the filter to events, requests and commands assignable to this type (a base class or interface).
    /// Default: every one.
    /// </summary>
    public Type? AppliesTo { get; set; }
}
