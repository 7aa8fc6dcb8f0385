using System;

namespace EventRouter;

/// <summary>Marks the property whose value orders events: events with the same key are handled one after another.</summary>
/// <remarks>An alternative to implementing <see cref="IPartitionedEvent"/>; the generator reads it at compile time.</remarks>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, Inherited = false)]
public sealed class PartitionKeyAttribute : Attribute
{
}
