using EventRouter.Durability;

namespace EventRouter.Sqlite;

/// <summary>
/// The SQLite schema and every statement the store runs on it. Times are Unix milliseconds; payloads are the
/// events' JSON, readable with any SQLite tool.
/// </summary>
internal static class SqliteSql
{
    public static readonly DurableSql Statements = new()
    {
        Migrations =
        [
            // Version 1.
            """
            CREATE TABLE eventrouter_inbox (
                event_id     TEXT    NOT NULL,
                listener     TEXT    NOT NULL,
                completed_at INTEGER NOT NULL,
                PRIMARY KEY (event_id, listener)
            ) WITHOUT ROWID;
            CREATE INDEX eventrouter_inbox_completed_at ON eventrouter_inbox (completed_at);

            CREATE TABLE eventrouter_outbox (
                id         INTEGER PRIMARY KEY AUTOINCREMENT,
                event_name TEXT    NOT NULL,
                event_id   TEXT    NULL,
                payload    TEXT    NOT NULL,
                created_at INTEGER NOT NULL,
                sent_at    INTEGER NULL
            );
            CREATE INDEX eventrouter_outbox_unsent ON eventrouter_outbox (id) WHERE sent_at IS NULL;
            CREATE INDEX eventrouter_outbox_sent_at ON eventrouter_outbox (sent_at) WHERE sent_at IS NOT NULL;

            CREATE TABLE eventrouter_queue (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                owner       TEXT    NOT NULL,
                event_name  TEXT    NOT NULL,
                event_id    TEXT    NULL,
                payload     TEXT    NOT NULL,
                enqueued_at INTEGER NOT NULL
            );
            CREATE INDEX eventrouter_queue_owner ON eventrouter_queue (owner, id);

            CREATE TABLE eventrouter_queue_listeners (
                entry_id INTEGER NOT NULL,
                listener TEXT    NOT NULL,
                PRIMARY KEY (entry_id, listener)
            ) WITHOUT ROWID;

            CREATE TABLE eventrouter_dead_letters (
                id         INTEGER PRIMARY KEY AUTOINCREMENT,
                owner      TEXT    NOT NULL,
                event_name TEXT    NOT NULL,
                event_id   TEXT    NULL,
                listener   TEXT    NOT NULL,
                payload    TEXT    NULL,
                error      TEXT    NOT NULL,
                attempts   INTEGER NOT NULL,
                created_at INTEGER NOT NULL
            );
            """,
        ],

        // BEGIN IMMEDIATE already holds the database's write lock.
        LockSchema = "",
        CreateSchemaTable = "CREATE TABLE IF NOT EXISTS eventrouter_schema (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)",
        ReadSchemaVersion = "SELECT version FROM eventrouter_schema WHERE id = 1",
        WriteSchemaVersion = "INSERT INTO eventrouter_schema (id, version) VALUES (1, @version) ON CONFLICT (id) DO UPDATE SET version = excluded.version",

        InboxIsCompleted = "SELECT 1 FROM eventrouter_inbox WHERE event_id = @event_id AND listener = @listener",
        InboxMarkCompleted = "INSERT INTO eventrouter_inbox (event_id, listener, completed_at) VALUES (@event_id, @listener, @at) ON CONFLICT DO NOTHING",
        InboxCleanup = "DELETE FROM eventrouter_inbox WHERE completed_at < @before",

        OutboxInsert = "INSERT INTO eventrouter_outbox (event_name, event_id, payload, created_at) VALUES (@event_name, @event_id, @payload, @at)",
        // SQLite has no row locks: one relay per database file.
        OutboxClaim = "SELECT id, event_name, payload FROM eventrouter_outbox WHERE sent_at IS NULL ORDER BY id LIMIT @limit",
        OutboxMarkSent = "UPDATE eventrouter_outbox SET sent_at = @at WHERE id = @id AND sent_at IS NULL",
        OutboxPendingCount = "SELECT COUNT(*) FROM eventrouter_outbox WHERE sent_at IS NULL",
        OutboxCleanup = "DELETE FROM eventrouter_outbox WHERE sent_at IS NOT NULL AND sent_at < @before",

        DeadLetterInsert = """
            INSERT INTO eventrouter_dead_letters (owner, event_name, event_id, listener, payload, error, attempts, created_at)
            VALUES (@owner, @event_name, @event_id, @listener, @payload, @error, @attempts, @at)
            """,

        DeadLetterRead = "SELECT id, event_name, event_id, listener, payload, error, attempts, created_at FROM eventrouter_dead_letters ORDER BY id LIMIT @limit",
        DeadLetterReadOne = "SELECT id, event_name, event_id, listener, payload, error, attempts, created_at FROM eventrouter_dead_letters WHERE id = @id",
        DeadLetterDelete = "DELETE FROM eventrouter_dead_letters WHERE id = @id",

        JournalAppend = "INSERT INTO eventrouter_queue (owner, event_name, event_id, payload, enqueued_at) VALUES (@owner, @event_name, @event_id, @payload, @at) RETURNING id",
        JournalListenerCompleted = "INSERT INTO eventrouter_queue_listeners (entry_id, listener) VALUES (@entry_id, @listener) ON CONFLICT DO NOTHING",
        JournalDeleteListeners = "DELETE FROM eventrouter_queue_listeners WHERE entry_id = @entry_id",
        JournalDelete = "DELETE FROM eventrouter_queue WHERE id = @entry_id",
        JournalRead = "SELECT id, event_name, payload FROM eventrouter_queue WHERE owner = @owner ORDER BY id",
        JournalReadListeners = """
            SELECT l.entry_id, l.listener
            FROM eventrouter_queue_listeners l JOIN eventrouter_queue q ON q.id = l.entry_id
            WHERE q.owner = @owner
            """,
        JournalPendingCount = "SELECT COUNT(*) FROM eventrouter_queue WHERE owner = @owner",
    };
}
