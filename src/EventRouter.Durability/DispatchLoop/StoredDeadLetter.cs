using System;

namespace EventRouter.Durability;

/// <summary>A dead letter as the store keeps it, in the <c>eventrouter_dead_letters</c> table.</summary>
/// <param name="Id">Its row id (for <see cref="DurableDeadLetters.ReplayAsync"/> and <see cref="DurableDeadLetters.DeleteAsync"/>).</param>
/// <param name="EventName">The event's stable name.</param>
/// <param name="EventId">The event's id, if it has one.</param>
/// <param name="Listener">The listener that gave up (or the relay or recovery that could not read the event back).</param>
/// <param name="Payload">The event's JSON (null when it could not be serialized).</param>
/// <param name="Error">The last attempt's exception, as text.</param>
/// <param name="Attempts">How many attempts were made.</param>
/// <param name="CreatedAt">When it was dead-lettered.</param>
public sealed record StoredDeadLetter(long Id, string EventName, string? EventId, string Listener, string? Payload, string Error, int Attempts, DateTimeOffset CreatedAt);
