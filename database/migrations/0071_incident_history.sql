-- "Seen before" in the bot's replies (bot/seen_before.py): the earlier incidents of the same alert, who
-- resolved them and the last note on them, read from the incidents the PagerDuty sync stores.
-- title_key: matching.titles.alert_key of the title, written by incident_store.upsert_incidents (rows
-- stored before this migration get theirs on the next sync: incident_store.fill_title_keys).
ALTER TABLE incidents ADD COLUMN title_key text;
ALTER TABLE incidents ADD COLUMN resolved_by text;       -- the person who resolved it (a resolve log entry)
ALTER TABLE incidents ADD COLUMN last_note text;         -- the newest note on it (an annotate log entry)
ALTER TABLE incidents ADD COLUMN last_note_at timestamptz;
-- Covering: a reply's two lookups read the index alone (an alert that fired thousands of times included).
CREATE INDEX incidents_title_key_idx ON incidents (title_key, created_at DESC)
    INCLUDE (resolved_at, merged_into, id, incident_number);
