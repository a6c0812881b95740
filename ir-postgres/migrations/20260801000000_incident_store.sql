-- PgIncidentStore: incidents, their timelines, and action leases.
-- `{schema}` is replaced by the store's schema (a plain identifier) before the migration runs,
-- so nothing depends on the connection's search_path (PgBouncer does not pass it on).

CREATE TABLE {schema}.incidents (
    id         uuid        PRIMARY KEY,
    -- Insertion order, for "oldest first".
    position   bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    dedup_key  text        NOT NULL,
    -- Number of events: the version a writer must expect.
    version    bigint      NOT NULL CHECK (version >= 1),
    -- False once a Resolved or Closed event has been appended: the key is free again.
    is_open    boolean     NOT NULL DEFAULT true,
    opened_at  timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One open incident per dedup key, however many replicas open it at once.
CREATE UNIQUE INDEX incidents_open_dedup_key ON {schema}.incidents (dedup_key) WHERE is_open;

CREATE TABLE {schema}.incident_events (
    incident_id uuid        NOT NULL REFERENCES {schema}.incidents (id) ON DELETE CASCADE,
    -- Position in the timeline, from 1.
    seq         bigint      NOT NULL CHECK (seq >= 1),
    at          timestamptz NOT NULL,
    actor       text        NOT NULL,
    kind        text        NOT NULL,
    -- The ir_core::incident::Event, as serde writes it.
    event       jsonb       NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, seq)
);

CREATE TABLE {schema}.action_leases (
    key        text        PRIMARY KEY,
    holder     text        NOT NULL,
    -- Fencing token: grows with every grant of the key. Rows are kept after release so it
    -- never goes back.
    token      bigint      NOT NULL CHECK (token >= 1),
    expires_at timestamptz NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now()
);
