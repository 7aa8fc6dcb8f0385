using EventRouter.Durability;

namespace EventRouter.PostgreSql;

/// <summary>
/// The PostgreSQL schema and the statements that differ from the portable ones in <see cref="DurableSql"/>. Times are Unix milliseconds; payloads are the
/// events' JSON as text.
/// </summary>
internal static class PostgreSqlSql
{
    public static readonly DurableSql Statements = new()
    {
        Migrations =
        [
            // Version 1.
            """
            CREATE TABLE eventrouter_inbox (
                event_id     TEXT   NOT NULL,
                listener     TEXT   NOT NULL,
                completed_at BIGINT NOT NULL,
                PRIMARY KEY (event_id, listener)
            );
            CREATE INDEX eventrouter_inbox_completed_at ON eventrouter_inbox (completed_at);

            CREATE TABLE eventrouter_outbox (
                id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                event_name TEXT   NOT NULL,
                event_id   TEXT   NULL,
                payload    TEXT   NOT NULL,
                created_at BIGINT NOT NULL,
                sent_at    BIGINT NULL
            );
            CREATE INDEX eventrouter_outbox_unsent ON eventrouter_outbox (id) WHERE sent_at IS NULL;
            CREATE INDEX eventrouter_outbox_sent_at ON eventrouter_outbox (sent_at) WHERE sent_at IS NOT NULL;

            CREATE TABLE eventrouter_queue (
                id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                owner       TEXT   NOT NULL,
                event_name  TEXT   NOT NULL,
                event_id    TEXT   NULL,
                payload     TEXT   NOT NULL,
                enqueued_at BIGINT NOT NULL
            );
            CREATE INDEX eventrouter_queue_owner ON eventrouter_queue (owner, id);

            CREATE TABLE eventrouter_queue_listeners (
                entry_id BIGINT NOT NULL,
                listener TEXT   NOT NULL,
                PRIMARY KEY (entry_id, listener)
            );

            CREATE TABLE eventrouter_dead_letters (
                id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                owner      TEXT    NOT NULL,
                event_name TEXT    NOT NULL,
                event_id   TEXT    NULL,
                listener   TEXT    NOT NULL,
                payload    TEXT    NULL,
                error      TEXT    NOT NULL,
                attempts   INTEGER NOT NULL,
                created_at BIGINT  NOT NULL
            );
            """,

            // Version 2: the due time of scheduled events, and the retries listeners wait for.
            """
            ALTER TABLE eventrouter_queue ADD COLUMN due_at BIGINT NULL;

            CREATE TABLE eventrouter_queue_retries (
                entry_id BIGINT NOT NULL,
                listener TEXT    NOT NULL,
                attempts INTEGER NOT NULL,
                due_at   BIGINT NOT NULL,
                PRIMARY KEY (entry_id, listener)
            );
            """,
        ],

        // Instances starting together migrate one after another (the key is arbitrary, fixed, and ours).
        LockSchema = "SELECT pg_advisory_xact_lock(4851563190417520937)",

        // The rows stay locked by the relay's transaction until it marks them sent; other relays skip them.
        OutboxClaim = "SELECT id, event_name, payload FROM eventrouter_outbox WHERE sent_at IS NULL ORDER BY id LIMIT @limit FOR UPDATE SKIP LOCKED",
    };
}
