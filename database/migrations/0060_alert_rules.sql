-- The team's alerting rules, per source (a rules API URL or a rule file), as the docs monitor last read
-- them well: a source that fails keeps its last good rules.  `version` moves on every change of any
-- source, so the matcher reloads the rules only when they changed.
CREATE SEQUENCE alert_rules_version;

CREATE TABLE alert_rule_sources (
    source       text PRIMARY KEY,
    fingerprint  text,                       -- digest of the rules last stored (NULL: never read well)
    rule_count   integer NOT NULL DEFAULT 0,
    version      bigint NOT NULL DEFAULT 0,  -- alert_rules_version when its rules last changed
    read_at      timestamptz,                -- last good read
    changed_at   timestamptz,
    problem      text,                       -- what went wrong on the last read, NULL when it went well
    problem_at   timestamptz
);

CREATE TABLE alert_rules (
    id            bigserial PRIMARY KEY,
    source        text NOT NULL REFERENCES alert_rule_sources (source) ON DELETE CASCADE,
    alert_name    text NOT NULL,
    group_name    text NOT NULL DEFAULT '',
    severity      text NOT NULL DEFAULT '',
    labels        jsonb NOT NULL DEFAULT '{}',
    summary       text NOT NULL DEFAULT '',
    description   text NOT NULL DEFAULT '',
    runbook_url   text NOT NULL DEFAULT '',
    expr          text NOT NULL DEFAULT '',
    for_duration  text NOT NULL DEFAULT ''
);
CREATE INDEX alert_rules_source_idx ON alert_rules (source);
CREATE INDEX alert_rules_name_idx ON alert_rules (alert_name);

-- When each alert name was first read from any source: the handoff mail lists the rules added in its week
-- that have no runbook.
CREATE TABLE alert_rule_names (
    alert_name     text PRIMARY KEY,
    first_seen_at  timestamptz NOT NULL DEFAULT now()
);
