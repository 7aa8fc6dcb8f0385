using System.Collections.Generic;

namespace EventRouter.Durability;

/// <summary>
/// Every SQL statement the store runs, for one database. The statements written in SQL that both SQLite and
/// PostgreSQL run are the defaults here; each backend sets its schema and the statements of its own dialect in a
/// single file. Parameters are named <c>@name</c>.
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
    public string CreateSchemaTable { get; init; } =
        "CREATE TABLE IF NOT EXISTS eventrouter_schema (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)";

    /// <summary>Reads the schema version (no row: version 0).</summary>
    public string ReadSchemaVersion { get; init; } =
        "SELECT version FROM eventrouter_schema WHERE id = 1";

    /// <summary>Writes the schema version (<c>@version</c>).</summary>
    public string WriteSchemaVersion { get; init; } =
        "INSERT INTO eventrouter_schema (id, version) VALUES (1, @version) ON CONFLICT (id) DO UPDATE SET version = excluded.version";

    /// <summary>One row when <c>@listener</c> completed <c>@event_id</c>.</summary>
    public string InboxIsCompleted { get; init; } =
        "SELECT 1 FROM eventrouter_inbox WHERE event_id = @event_id AND listener = @listener";

    /// <summary>Records a completion (<c>@event_id</c>, <c>@listener</c>, <c>@at</c>); affects no row when it was already recorded.</summary>
    public string InboxMarkCompleted { get; init; } =
        "INSERT INTO eventrouter_inbox (event_id, listener, completed_at) VALUES (@event_id, @listener, @at) ON CONFLICT DO NOTHING";

    /// <summary>Deletes completions recorded before <c>@before</c>.</summary>
    public string InboxCleanup { get; init; } =
        "DELETE FROM eventrouter_inbox WHERE completed_at < @before";

    /// <summary>Stores an event to send (<c>@event_name</c>, <c>@event_id</c>, <c>@payload</c>, <c>@at</c>).</summary>
    public string OutboxInsert { get; init; } =
        "INSERT INTO eventrouter_outbox (event_name, event_id, payload, created_at) VALUES (@event_name, @event_id, @payload, @at)";

    /// <summary>
    /// The oldest unsent events (<c>id</c>, <c>event_name</c>, <c>payload</c>), at most <c>@limit</c>. Where the
    /// database can, the rows stay locked by this transaction and other relays skip them.
    /// </summary>
    public required string OutboxClaim { get; init; }

    /// <summary>Marks one event sent (<c>@id</c>, <c>@at</c>).</summary>
    public string OutboxMarkSent { get; init; } =
        "UPDATE eventrouter_outbox SET sent_at = @at WHERE id = @id AND sent_at IS NULL";

    /// <summary>The number of unsent events.</summary>
    public string OutboxPendingCount { get; init; } =
        "SELECT COUNT(*) FROM eventrouter_outbox WHERE sent_at IS NULL";

    /// <summary>
    /// One row: the unfinished journal entries of <c>@owner</c>, the unsent outbox events, the creation time of the
    /// oldest unsent one (null when none) and the dead letters.
    /// </summary>
    public string Status { get; init; } =
        """
            SELECT
                (SELECT COUNT(*) FROM eventrouter_queue WHERE owner = @owner),
                (SELECT COUNT(*) FROM eventrouter_outbox WHERE sent_at IS NULL),
                (SELECT MIN(created_at) FROM eventrouter_outbox WHERE sent_at IS NULL),
                (SELECT COUNT(*) FROM eventrouter_dead_letters)
            """;

    /// <summary>Deletes events sent before <c>@before</c>.</summary>
    public string OutboxCleanup { get; init; } =
        "DELETE FROM eventrouter_outbox WHERE sent_at IS NOT NULL AND sent_at < @before";

    /// <summary>
    /// Stores a dead letter (<c>@owner</c>, <c>@event_name</c>, <c>@event_id</c>, <c>@listener</c>, <c>@payload</c>,
    /// <c>@error</c>, <c>@attempts</c>, <c>@at</c>).
    /// </summary>
    public string DeadLetterInsert { get; init; } =
        """
            INSERT INTO eventrouter_dead_letters (owner, event_name, event_id, listener, payload, error, attempts, created_at)
            VALUES (@owner, @event_name, @event_id, @listener, @payload, @error, @attempts, @at)
            """;

    /// <summary>Reads the oldest dead letters (<c>id</c>, <c>event_name</c>, <c>event_id</c>, <c>listener</c>, <c>payload</c>, <c>error</c>, <c>attempts</c>, <c>created_at</c>), at most <c>@limit</c>.</summary>
    public string DeadLetterRead { get; init; } =
        "SELECT id, event_name, event_id, listener, payload, error, attempts, created_at FROM eventrouter_dead_letters ORDER BY id LIMIT @limit";

    /// <summary>Reads one dead letter (<c>@id</c>), with the columns of <see cref="DeadLetterRead"/>.</summary>
    public string DeadLetterReadOne { get; init; } =
        "SELECT id, event_name, event_id, listener, payload, error, attempts, created_at FROM eventrouter_dead_letters WHERE id = @id";

    /// <summary>Deletes one dead letter (<c>@id</c>).</summary>
    public string DeadLetterDelete { get; init; } =
        "DELETE FROM eventrouter_dead_letters WHERE id = @id";

    /// <summary>
    /// Stores an event the dispatch loop accepted (<c>@owner</c>, <c>@event_name</c>, <c>@event_id</c>, <c>@payload</c>,
    /// <c>@at</c>, and <c>@due_at</c>, null unless it is scheduled) and returns its <c>id</c>.
    /// </summary>
    public string JournalAppend { get; init; } =
        "INSERT INTO eventrouter_queue (owner, event_name, event_id, payload, enqueued_at, due_at) VALUES (@owner, @event_name, @event_id, @payload, @at, @due_at) RETURNING id";

    /// <summary>Records that <c>@listener</c> failed the entry <c>@entry_id</c> <c>@attempts</c> times and retries at <c>@due_at</c>.</summary>
    public string JournalRetry { get; init; } =
        """
            INSERT INTO eventrouter_queue_retries (entry_id, listener, attempts, due_at) VALUES (@entry_id, @listener, @attempts, @due_at)
            ON CONFLICT (entry_id, listener) DO UPDATE SET attempts = excluded.attempts, due_at = excluded.due_at
            """;

    /// <summary>Deletes the retries of the entry <c>@entry_id</c>.</summary>
    public string JournalDeleteRetries { get; init; } =
        "DELETE FROM eventrouter_queue_retries WHERE entry_id = @entry_id";

    /// <summary>The retries of the unfinished entries of <c>@owner</c> (<c>entry_id</c>, <c>listener</c>, <c>attempts</c>, <c>due_at</c>).</summary>
    public string JournalReadRetries { get; init; } =
        """
            SELECT r.entry_id, r.listener, r.attempts, r.due_at
            FROM eventrouter_queue_retries r JOIN eventrouter_queue q ON q.id = r.entry_id
            WHERE q.owner = @owner
            """;

    /// <summary>Records that <c>@listener</c> completed the entry <c>@entry_id</c> (nothing when it already was).</summary>
    public string JournalListenerCompleted { get; init; } =
        "INSERT INTO eventrouter_queue_listeners (entry_id, listener) VALUES (@entry_id, @listener) ON CONFLICT DO NOTHING";

    /// <summary>Deletes the listener records of the entry <c>@entry_id</c>.</summary>
    public string JournalDeleteListeners { get; init; } =
        "DELETE FROM eventrouter_queue_listeners WHERE entry_id = @entry_id";

    /// <summary>Deletes the entry <c>@entry_id</c>.</summary>
    public string JournalDelete { get; init; } =
        "DELETE FROM eventrouter_queue WHERE id = @entry_id";

    /// <summary>The unfinished entries of <c>@owner</c> (<c>id</c>, <c>event_name</c>, <c>payload</c>, <c>due_at</c>), oldest first.</summary>
    public string JournalRead { get; init; } =
        "SELECT id, event_name, payload, due_at FROM eventrouter_queue WHERE owner = @owner ORDER BY id";

    /// <summary>The listener records of the unfinished entries of <c>@owner</c> (<c>entry_id</c>, <c>listener</c>).</summary>
    public string JournalReadListeners { get; init; } =
        """
            SELECT l.entry_id, l.listener
            FROM eventrouter_queue_listeners l JOIN eventrouter_queue q ON q.id = l.entry_id
            WHERE q.owner = @owner
            """;

    /// <summary>The number of unfinished entries of <c>@owner</c>.</summary>
    public string JournalPendingCount { get; init; } =
        "SELECT COUNT(*) FROM eventrouter_queue WHERE owner = @owner";
}
