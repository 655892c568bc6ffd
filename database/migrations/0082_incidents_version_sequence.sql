-- The incidents' version number from a sequence instead of a row: nextval() takes no row lock, so a
-- PagerDuty sync and a CSV import writing at the same time never wait on each other for it.
CREATE SEQUENCE incidents_version;

CREATE OR REPLACE FUNCTION bump_incidents_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('incidents_version');
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS incidents_version ON incidents;
CREATE TRIGGER incidents_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON incidents
    FOR EACH STATEMENT EXECUTE FUNCTION bump_incidents_version();
DROP FUNCTION IF EXISTS bump_table_version();
DROP TABLE IF EXISTS table_versions;
