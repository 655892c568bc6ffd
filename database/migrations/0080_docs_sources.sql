-- What a stored page is: a page of runbooks, or what else the docs site served there (an error page,
-- a directory listing, a search or index page, a notice).  Only 'runbooks' pages have runbooks rows.
ALTER TABLE doc_pages ADD COLUMN kind text NOT NULL DEFAULT 'runbooks';
-- Where the page came from: NULL for the docs site, else the git repository (credentials removed)
-- whose file it is; the file's path in the repository beside it.
ALTER TABLE doc_pages ADD COLUMN source text;
ALTER TABLE doc_pages ADD COLUMN source_path text;
CREATE INDEX doc_pages_source_idx ON doc_pages (source) WHERE source IS NOT NULL;
-- For a change that came from git: the commit that made it, its author and the commit message's subject.
ALTER TABLE doc_changes ADD COLUMN commit_sha text;
ALTER TABLE doc_changes ADD COLUMN author text;
ALTER TABLE doc_changes ADD COLUMN message text;
-- The commit each repository source was last read at: an unchanged repository costs one fetch, no parse.
CREATE TABLE docs_repo_state (
    source     text PRIMARY KEY,
    branch     text NOT NULL,
    commit_sha text NOT NULL,
    read_at    timestamptz NOT NULL DEFAULT now()
);
