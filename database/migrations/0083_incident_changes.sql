-- Which hours of incidents each write touched, logged in the writer's own transaction with its id: a
-- dashboard that counted the days before recounts only the local days of the hours written since
-- (alert_visualization.day_changes), instead of all 180 days after every sync.  Hours are UTC, so the
-- log does not depend on a session's time zone; NULL is every hour (a TRUNCATE).
CREATE TABLE incident_changes (
    changed_by xid8 NOT NULL DEFAULT pg_current_xact_id(),
    logged_at  timestamptz NOT NULL DEFAULT now(),
    hour       timestamptz
);
CREATE INDEX incident_changes_changed_by ON incident_changes (changed_by);
CREATE INDEX incident_changes_logged_at ON incident_changes (logged_at);

CREATE FUNCTION log_incident_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO incident_changes (hour)
        SELECT DISTINCT date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
        FROM new_rows WHERE created_at IS NOT NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO incident_changes (hour)
        SELECT date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
        FROM (SELECT created_at FROM new_rows UNION SELECT created_at FROM old_rows) AS touched
        WHERE created_at IS NOT NULL
        GROUP BY 1;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO incident_changes (hour)
        SELECT DISTINCT date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
        FROM old_rows WHERE created_at IS NOT NULL;
    ELSE
        INSERT INTO incident_changes (hour) VALUES (NULL);
    END IF;
    RETURN NULL;
END
$$;

-- A trigger with transition tables serves one event only.
CREATE TRIGGER incident_changes_inserted AFTER INSERT ON incidents REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION log_incident_changes();
CREATE TRIGGER incident_changes_updated AFTER UPDATE ON incidents REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION log_incident_changes();
CREATE TRIGGER incident_changes_deleted AFTER DELETE ON incidents REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION log_incident_changes();
CREATE TRIGGER incident_changes_truncated AFTER TRUNCATE ON incidents
    FOR EACH STATEMENT EXECUTE FUNCTION log_incident_changes();
