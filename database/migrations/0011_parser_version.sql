-- Which version of the page parser produced a page's stored runbooks.  After an upgrade
-- changes the parser, each page is fetched in full once (no conditional GET) and re-parsed.
ALTER TABLE doc_pages ADD COLUMN parser_version integer NOT NULL DEFAULT 0;
