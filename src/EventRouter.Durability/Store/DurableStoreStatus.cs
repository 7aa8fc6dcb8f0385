using System;

namespace EventRouter.Durability;

/// <summary>What a <see cref="DurableStore"/> holds now, read in one pass (<see cref="DurableStore.GetStatusAsync"/>).</summary>
/// <param name="PendingEvents">Events this instance's dispatch loop accepted and has not finished (scheduled ones included).</param>
/// <param name="UnsentOutboxEvents">Committed outbox events not sent yet (all instances).</param>
/// <param name="RelayLag">How long the oldest unsent outbox event has waited; zero when none waits.</param>
/// <param name="DeadLetters">Dead letters in the table (all instances).</param>
public sealed record DurableStoreStatus(long PendingEvents, long UnsentOutboxEvents, TimeSpan RelayLag, long DeadLetters);
