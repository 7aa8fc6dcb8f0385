using System.Collections.Generic;

namespace EventRouter.DispatchLoop;

/// <summary>An event a journal holds that has no outcome yet.</summary>
/// <param name="Position">Its position in the journal.</param>
/// <param name="Event">The event.</param>
/// <param name="CompletedListeners">The names of the listeners that already completed it.</param>
public sealed record JournaledEvent(long Position, object Event, IReadOnlyList<string> CompletedListeners);
