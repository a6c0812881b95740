-- PgIncidentStore's append in one round trip: the version check, the version bump and the
-- events' insert in one call, instead of a transaction of 3 + n statements.
-- `{schema}` is replaced by the store's schema before the migration runs.
--
-- The UPDATE's row lock orders concurrent writers: a writer that waited re-checks the version
-- once the previous one has committed, and finds it moved. Then nothing is written, and the
-- SELECT (a new snapshot: every statement of a volatile function takes one) reads the version
-- the other writer left, which the caller's Conflict carries. `current_version` is NULL for an
-- unknown incident.
CREATE FUNCTION {schema}.append_events(
    p_id uuid,
    p_expected bigint,
    p_releases boolean,
    p_at timestamptz[],
    p_actor text[],
    p_kind text[],
    p_event text[],
    OUT appended boolean,
    OUT current_version bigint
) LANGUAGE plpgsql AS $fn$
BEGIN
    UPDATE {schema}.incidents AS i
       SET version = i.version + cardinality(p_event),
           is_open = i.is_open AND NOT p_releases,
           updated_at = now()
     WHERE i.id = p_id AND i.version = p_expected
    RETURNING i.version INTO current_version;
    appended := FOUND;
    IF appended THEN
        INSERT INTO {schema}.incident_events (incident_id, seq, at, actor, kind, event)
        SELECT p_id, p_expected + e.n, e.at, e.actor, e.kind, e.event::jsonb
          FROM unnest(p_at, p_actor, p_kind, p_event) WITH ORDINALITY AS e (at, actor, kind, event, n);
    ELSE
        SELECT i.version INTO current_version FROM {schema}.incidents AS i WHERE i.id = p_id;
    END IF;
END
$fn$;
