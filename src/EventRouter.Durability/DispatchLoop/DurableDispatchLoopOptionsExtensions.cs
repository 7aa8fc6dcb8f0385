using System;
using EventRouter.Durability;

namespace EventRouter.DispatchLoop;

/// <summary>Makes a dispatch loop durable over a <see cref="DurableStore"/>.</summary>
public static class DurableDispatchLoopOptionsExtensions
{
    /// <summary>
    /// Stores the loop's accepted events, listener completions and dead letters in <paramref name="store"/>, and (with
    /// <paramref name="useInbox"/>) de-duplicates deliveries by event id in its inbox. The loop then recovers, on
    /// start, every event a crash left unfinished. Sets <see cref="DispatchLoopOptions.Journal"/>,
    /// <see cref="DispatchLoopOptions.DeadLetterSink"/> and <see cref="DispatchLoopOptions.IdempotencyStore"/>.
    /// </summary>
    /// <param name="options">The loop's options.</param>
    /// <param name="store">The store; it must outlive the loop.</param>
    /// <param name="useInbox">Also use the store's durable inbox for idempotency (default true).</param>
    /// <returns>The options, for chaining.</returns>
    public static DispatchLoopOptions UseDurableStore(this DispatchLoopOptions options, DurableStore store, bool useInbox = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        options.Journal = store.Journal;
        options.DeadLetterSink = store.DeadLetters;
        if (useInbox)
        {
            options.IdempotencyStore = store.Inbox;
        }
        return options;
    }
}
