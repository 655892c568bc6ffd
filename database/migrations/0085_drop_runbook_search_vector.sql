-- Nothing searches runbooks by text in SQL any more: the matcher ranks its in-memory index
-- (matching.knowledge_base), as 0072 already said of the sections.  Each runbook's tsvector of its
-- whole text, and the GIN index over it, were about 1 ms of every stored page's 4 ms, for nobody.
DROP INDEX IF EXISTS runbooks_search_idx;
ALTER TABLE runbooks DROP COLUMN IF EXISTS search_vector;
DROP FUNCTION IF EXISTS docs_any_words_query(text);
DROP FUNCTION IF EXISTS docs_tsvector(text);
DROP FUNCTION IF EXISTS docs_search_words(text);
