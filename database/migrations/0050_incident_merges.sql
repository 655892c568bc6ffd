-- An incident merged into another is resolved by the merge, not by anyone fixing it: the id of the
-- incident it was merged into (from the incident's resolve_reason), else NULL.
ALTER TABLE incidents ADD COLUMN merged_into text;
