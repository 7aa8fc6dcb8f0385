using EventRouter.Durability;

namespace EventRouter.Sqlite;

/// <summary>
/// The SQLite schema and the statements that differ from the portable ones in <see cref="DurableSql"/>. Times are Unix milliseconds; payloads are the
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

            // Version 2: the due time of scheduled events, and the retries listeners wait for.
            """
            ALTER TABLE eventrouter_queue ADD COLUMN due_at INTEGER NULL;

            CREATE TABLE eventrouter_queue_retries (
                entry_id INTEGER NOT NULL,
                listener TEXT    NOT NULL,
                attempts INTEGER NOT NULL,
                due_at   INTEGER NOT NULL,
                PRIMARY KEY (entry_id, listener)
            ) WITHOUT ROWID;
            """,
        ],

        // BEGIN IMMEDIATE already holds the database's write lock.
        LockSchema = "",

        // SQLite has no row locks: one relay per database file.
        OutboxClaim = "SELECT id, event_name, payload FROM eventrouter_outbox WHERE sent_at IS NULL ORDER BY id LIMIT @limit",
    };
}
