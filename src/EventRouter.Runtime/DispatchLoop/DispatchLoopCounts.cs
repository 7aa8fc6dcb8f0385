using System;
using System.Collections.Generic;

namespace EventRouter.DispatchLoop;

/// <summary>
/// What an <see cref="EventDispatchLoop"/> has done so far. Every accepted event ends in exactly one outcome, so once
/// the loop has stopped <c>Handled + DeadLettered + Dropped + ReturnedUndelivered + Canceled == Accepted</c>.
/// </summary>
/// <param name="Accepted">Events taken by <c>EnqueueAsync</c>/<c>TryEnqueue</c> (including producers still waiting for room, and scheduled events waiting for their time).</param>
/// <param name="Handled">Events every listener completed (or had already completed, by idempotency).</param>
/// <param name="DeadLettered">Events of which at least one listener gave up after its last attempt.</param>
/// <param name="Dropped">Events a drop mode discarded.</param>
/// <param name="ReturnedUndelivered">Events a stop returned because some listener had not completed them (scheduled events still waiting for their time included).</param>
/// <param name="Retries">Retry attempts made, across all listeners.</param>
/// <param name="Deduplicated">Listener deliveries skipped because the idempotency store had them as completed.</param>
public readonly record struct DispatchLoopCounts(
    long Accepted, long Handled, long DeadLettered, long Dropped, long ReturnedUndelivered, long Retries, long Deduplicated)
{
    /// <summary>Events accepted with a later due time (<c>EnqueueAsync(event, delay)</c> or <c>(event, dueAt)</c>); part of <see cref="Accepted"/>.</summary>
    public long Scheduled { get; init; }

    /// <summary>Scheduled events cancelled through their <see cref="ScheduledEvent"/> before they were due: an outcome.</summary>
    public long Canceled { get; init; }

    /// <summary>Accepted events without an outcome yet: scheduled, queued or being delivered.</summary>
    public long InFlight => Accepted - Handled - DeadLettered - Dropped - ReturnedUndelivered - Canceled;
}
