using System;
using System.Collections.Generic;

namespace EventRouter.DispatchLoop;

/// <summary>An event a journal holds that has no outcome yet.</summary>
/// <param name="Position">Its position in the journal.</param>
/// <param name="Event">The event.</param>
/// <param name="CompletedListeners">The names of the listeners that already completed it.</param>
public sealed record JournaledEvent(long Position, object Event, IReadOnlyList<string> CompletedListeners)
{
    /// <summary>When a scheduled event enters the queue; null for an event that was queued at once.</summary>
    public DateTimeOffset? DueAt { get; init; }

    /// <summary>The listeners that failed it and wait for a retry, with their failed attempts and next attempt's time.</summary>
    public IReadOnlyList<JournaledRetry> Retries { get; init; } = [];
}

/// <summary>A listener's retry of a journaled event: where its retries go on after a restart.</summary>
/// <param name="ListenerName">The listener's <see cref="ListenerInfo.Name"/>.</param>
/// <param name="FailedAttempts">How many of its attempts failed.</param>
/// <param name="DueAt">When its next attempt runs.</param>
public sealed record JournaledRetry(string ListenerName, int FailedAttempts, DateTimeOffset DueAt);
