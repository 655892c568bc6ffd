-- A number that changes whenever the incidents table does (a sync, a CSV import, a merge), so the
-- dashboard can tell in one indexed read whether its cached window is still right, instead of
-- counting 100,000 rows on every request.  Bumped once per statement, not per row.
CREATE TABLE table_versions (
    name    text PRIMARY KEY,
    version bigint NOT NULL DEFAULT 0
);
INSERT INTO table_versions (name) VALUES ('incidents');

CREATE FUNCTION bump_table_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE table_versions SET version = version + 1 WHERE name = TG_TABLE_NAME;
    RETURN NULL;
END
$$;

CREATE TRIGGER incidents_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON incidents
    FOR EACH STATEMENT EXECUTE FUNCTION bump_table_version();
