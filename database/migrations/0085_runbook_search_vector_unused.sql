-- Nothing searches runbooks by text in SQL any more: the matcher ranks its in-memory index
-- (matching.knowledge_base), as 0072 already said of the sections.  Computing each runbook's tsvector
-- of its whole text and updating the GIN index over it was half of a stored page's insert
-- (2.75 -> 1.4 ms).  The column only loses its NOT NULL and the functions stay, so a docs monitor
-- of the version before, still running while the others restart, keeps writing; nothing reads them.
DROP INDEX IF EXISTS runbooks_search_idx;
ALTER TABLE runbooks ALTER COLUMN search_vector DROP NOT NULL;
