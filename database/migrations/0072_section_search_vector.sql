-- Nothing searches runbook sections by text: the matcher ranks its in-memory index, and the docs
-- monitor's SQL search reads runbooks.search_vector.  The sections' own tsvector and GIN index were
-- computed and maintained on every stored page for nobody.
DROP INDEX IF EXISTS runbook_sections_search_idx;
ALTER TABLE runbook_sections DROP COLUMN IF EXISTS search_vector;
