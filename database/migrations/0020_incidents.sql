-- PagerDuty incidents, one row per incident id, upserted by the sync or loaded from a CSV export.
CREATE TABLE incidents (
    id                    text PRIMARY KEY,
    incident_number       integer,
    title                 text NOT NULL,
    status                text NOT NULL,             -- triggered / acknowledged / resolved
    urgency               text NOT NULL DEFAULT 'high',
    service_id            text,
    service_name          text,
    created_at            timestamptz NOT NULL,
    -- From log entries: the first acknowledgement by a person, and the resolve.
    first_acknowledged_at timestamptz,
    resolved_at           timestamptz,
    -- True when the resolve came from an integration or a timeout rather than a person.
    auto_resolved         boolean,
    html_url              text,
    source                text NOT NULL DEFAULT 'api', -- api / csv
    synced_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_created_at_idx ON incidents (created_at);
CREATE INDEX incidents_open_idx ON incidents (created_at) WHERE status <> 'resolved';

-- How far each stream (incidents, log entries) has been synced: the next sync resumes here,
-- minus an overlap, so an interrupted sync loses nothing and repeats little.
CREATE TABLE pagerduty_sync_state (
    stream       text PRIMARY KEY,
    synced_until timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per sync run, for /healthz and the page's "last synced" line.
CREATE TABLE pagerduty_sync_runs (
    id          bigserial PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    outcome     text,                 -- ok / failed
    incidents   integer NOT NULL DEFAULT 0,
    log_entries integer NOT NULL DEFAULT 0,
    requests    integer NOT NULL DEFAULT 0,
    error       text
);
