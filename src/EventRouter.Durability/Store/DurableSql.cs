using System.Collections.Generic;

namespace EventRouter.Durability;

/// <summary>
/// Every SQL statement the store runs, for one database. Each backend fills one of these in a single file, so that
/// its whole schema and every query it issues can be read in one place. Parameters are named <c>@name</c>.
/// </summary>
internal sealed class DurableSql
{
    /// <summary>
    /// The schema, as steps: step <c>i</c> brings a database at version <c>i</c> to version <c>i + 1</c>. The
    /// schema version is the number of steps; a step is never edited once shipped, a change is a new step.
    /// </summary>
    public required IReadOnlyList<string> Migrations { get; init; }

    /// <summary>Serializes concurrent migrations inside the migration transaction (empty when the transaction already does).</summary>
    public required string LockSchema { get; init; }

    /// <summary>Creates the one-row table holding the schema version, if missing.</summary>
    public required string CreateSchemaTable { get; init; }

    /// <summary>Reads the schema version (no row: version 0).</summary>
    public required string ReadSchemaVersion { get; init; }

    /// <summary>Writes the schema version (<c>@version</c>).</summary>
    public required string WriteSchemaVersion { get; init; }

    /// <summary>One row when <c>@listener</c> completed <c>@event_id</c>.</summary>
    public required string InboxIsCompleted { get; init; }

    /// <summary>Records a completion (<c>@event_id</c>, <c>@listener</c>, <c>@at</c>); affects no row when it was already recorded.</summary>
    public required string InboxMarkCompleted { get; init; }

    /// <summary>Deletes completions recorded before <c>@before</c>.</summary>
    public required string InboxCleanup { get; init; }

    /// <summary>Stores an event to send (<c>@event_name</c>, <c>@event_id</c>, <c>@payload</c>, <c>@at</c>).</summary>
    public required string OutboxInsert { get; init; }

    /// <summary>
    /// The oldest unsent events (<c>id</c>, <c>event_name</c>, <c>payload</c>), at most <c>@limit</c>. Where the
    /// database can, the rows stay locked by this transaction and other relays skip them.
    /// </summary>
    public required string OutboxClaim { get; init; }

    /// <summary>Marks one event sent (<c>@id</c>, <c>@at</c>).</summary>
    public required string OutboxMarkSent { get; init; }

    /// <summary>The number of unsent events.</summary>
    public required string OutboxPendingCount { get; init; }

    /// <summary>Deletes events sent before <c>@before</c>.</summary>
    public required string OutboxCleanup { get; init; }

    /// <summary>
    /// Stores a dead letter (<c>@owner</c>, <c>@event_name</c>, <c>@event_id</c>, <c>@listener</c>, <c>@payload</c>,
    /// <c>@error</c>, <c>@attempts</c>, <c>@at</c>).
    /// </summary>
    public required string DeadLetterInsert { get; init; }

    /// <summary>Reads the oldest dead letters (<c>id</c>, <c>event_name</c>, <c>event_id</c>, <c>listener</c>, <c>payload</c>, <c>error</c>, <c>attempts</c>, <c>created_at</c>), at most <c>@limit</c>.</summary>
    public required string DeadLetterRead { get; init; }

    /// <summary>Reads one dead letter (<c>@id</c>), with the columns of <see cref="DeadLetterRead"/>.</summary>
    public required string DeadLetterReadOne { get; init; }

    /// <summary>Deletes one dead letter (<c>@id</c>).</summary>
    public required string DeadLetterDelete { get; init; }

    /// <summary>Stores an event the dispatch loop accepted (<c>@owner</c>, <c>@event_name</c>, <c>@event_id</c>, <c>@payload</c>, <c>@at</c>) and returns its <c>id</c>.</summary>
    public required string JournalAppend { get; init; }

    /// <summary>Records that <c>@listener</c> completed the entry <c>@entry_id</c> (nothing when it already was).</summary>
    public required string JournalListenerCompleted { get; init; }

    /// <summary>Deletes the listener records of the entry <c>@entry_id</c>.</summary>
    public required string JournalDeleteListeners { get; init; }

    /// <summary>Deletes the entry <c>@entry_id</c>.</summary>
    public required string JournalDelete { get; init; }

    /// <summary>The unfinished entries of <c>@owner</c> (<c>id</c>, <c>event_name</c>, <c>payload</c>), oldest first.</summary>
    public required string JournalRead { get; init; }

    /// <summary>The listener records of the unfinished entries of <c>@owner</c> (<c>entry_id</c>, <c>listener</c>).</summary>
    public required string JournalReadListeners { get; init; }

    /// <summary>The number of unfinished entries of <c>@owner</c>.</summary>
    public required string JournalPendingCount { get; init; }
}
