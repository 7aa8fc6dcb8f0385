using System;

namespace EventRouter;

/// <summary>Marks the property that identifies an event, for de-duplication by the dispatch loop and the broker.</summary>
/// <remarks>An alternative to implementing <see cref="IIdentifiableEvent"/>; the generator reads it at compile time.</remarks>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, Inherited = false)]
public sealed class EventIdAttribute : Attribute
{
}
