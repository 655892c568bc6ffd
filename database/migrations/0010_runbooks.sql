-- Runbook knowledge base: crawled pages, the runbooks and sections parsed from
-- them, the alert keys each runbook answers to, and a log of every change.

-- Identifiers are split into words before indexing (KubePodCrashLooping, kube_pod_crash_looping,
-- prod.KubePodCrashLooping -> kube pod crash looping) and the text is also kept whole, so an
-- exact name and its words both match.  Queries go through the same function: "both sides".
CREATE FUNCTION docs_search_words(words text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(words, '') || ' ' ||
           regexp_replace(
               regexp_replace(
                   regexp_replace(coalesce(words, ''), '([a-z0-9])([A-Z])', '\1 \2', 'g'),
                   '([A-Z]+)([A-Z][a-z])', '\1 \2', 'g'),
               '[_./:=]+', ' ', 'g')
$$;

-- The search document of any text, as the index sees it.
CREATE FUNCTION docs_tsvector(words text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector('english', docs_search_words(words))
$$;

-- A query matching ANY of the words of `words` (alert titles carry noise such as host names,
-- so requiring every word would miss); ranking then prefers runbooks matching more of them.
-- NULL when the text has no searchable word.
CREATE FUNCTION docs_any_words_query(words text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery
    FROM unnest(tsvector_to_array(docs_tsvector(words))) AS lexeme
$$;

CREATE TABLE doc_pages (
    id             bigserial PRIMARY KEY,
    url            text NOT NULL UNIQUE,
    title          text,
    status         text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'missing', 'gone')),
    -- Conditional-GET validators from the last good response.
    etag           text,
    last_modified  text,
    -- SHA-256 of the normalised main content: a changed footer or timestamp is not a change.
    content_sha256 text,
    -- In-scope links found on the page, so a 304 still tells the crawler where to go next.
    links          text[] NOT NULL DEFAULT '{}',
    -- Consecutive polls answered 404/410; at 2 the page's runbooks are removed.
    missing_polls  integer NOT NULL DEFAULT 0,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    changed_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE runbooks (
    id            bigserial PRIMARY KEY,
    page_id       bigint NOT NULL REFERENCES doc_pages (id) ON DELETE CASCADE,
    position      integer NOT NULL,
    title         text NOT NULL,
    -- The alert this runbook is for, spelled as the page spells it (identifier form when known).
    alert_name    text,
    url           text NOT NULL,
    anchor        text,
    -- 'runbook', 'pointer' (only points elsewhere), 'deprecated' or 'stub' (nothing to do yet).
    kind          text NOT NULL DEFAULT 'runbook',
    points_to     text,
    summary       text NOT NULL DEFAULT '',
    body_text     text NOT NULL DEFAULT '',
    mrkdwn        text NOT NULL DEFAULT '',
    search_vector tsvector NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (page_id, position)
);
CREATE INDEX runbooks_search_idx ON runbooks USING gin (search_vector);

CREATE TABLE runbook_sections (
    id            bigserial PRIMARY KEY,
    runbook_id    bigint NOT NULL REFERENCES runbooks (id) ON DELETE CASCADE,
    position      integer NOT NULL,
    level         integer NOT NULL,
    title         text NOT NULL,
    anchor        text,
    heading_path  text[] NOT NULL,
    body_text     text NOT NULL DEFAULT '',
    mrkdwn        text NOT NULL DEFAULT '',
    search_vector tsvector NOT NULL,
    UNIQUE (runbook_id, position)
);
CREATE INDEX runbook_sections_search_idx ON runbook_sections USING gin (search_vector);

-- Every name a runbook answers to, as generate_documentation_db.alert_keys.canonical_key().
CREATE TABLE runbook_alert_keys (
    runbook_id bigint NOT NULL REFERENCES runbooks (id) ON DELETE CASCADE,
    alert_key  text NOT NULL,
    name       text NOT NULL,
    source     text NOT NULL CHECK (source IN ('title', 'slug', 'alias')),
    PRIMARY KEY (runbook_id, alert_key)
);
CREATE INDEX runbook_alert_keys_key_idx ON runbook_alert_keys (alert_key);

CREATE TABLE doc_changes (
    id         bigserial PRIMARY KEY,
    page_url   text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    change     text NOT NULL CHECK (change IN ('added', 'changed', 'removed')),
    runbooks   text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX doc_changes_time_idx ON doc_changes (changed_at DESC);
