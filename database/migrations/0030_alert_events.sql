-- Slack bot: every alert seen in a watched channel, and the one reply per incident.
-- This is the runbook-coverage record the dashboard and the handoff mailer read.

CREATE TABLE alert_events (
    id               bigserial PRIMARY KEY,
    channel          text NOT NULL,
    message_ts       text NOT NULL,
    -- PagerDuty's incident number (#4821) and id (/incidents/Q1ABC2D), when the message carries them.
    incident_number  integer,
    incident_id      text,
    -- triggered | acknowledged | escalated | reassigned | resolved | firing | unknown
    status           text NOT NULL DEFAULT 'unknown',
    title            text NOT NULL,
    -- utils.alert_key(title): the name the analytics group incidents by.
    alert_key        text NOT NULL,
    -- The runbook replied with (or the best candidate below the threshold); kept by value too,
    -- because a re-crawl replaces runbook rows.
    runbook_id       bigint,
    matched_alert    text,
    runbook_title    text,
    runbook_url      text,
    confidence       real NOT NULL DEFAULT 0,
    -- Why it matched: 'exact name', 'text match' or 'none'.
    match_reason     text NOT NULL DEFAULT 'none',
    reply_ts         text,
    received_at      timestamptz NOT NULL DEFAULT now(),
    -- A redelivered envelope or a second replica sees the same message: recorded once.
    UNIQUE (channel, message_ts)
);
CREATE INDEX alert_events_received_idx ON alert_events (received_at DESC);
CREATE INDEX alert_events_key_idx ON alert_events (alert_key);
CREATE INDEX alert_events_incident_idx ON alert_events (incident_id, incident_number);

-- The claim that makes one reply per incident: whoever inserts the row replies.  A claim whose
-- reply never came (the claimer died) may be taken over after a while, by conditional UPDATE.
CREATE TABLE alert_replies (
    incident        text PRIMARY KEY,   -- 'id:Q1ABC2D', 'number:4821' or 'message:C123/1700000000.000100'
    alert_event_id  bigint NOT NULL REFERENCES alert_events (id) ON DELETE CASCADE,
    claimed_by      text NOT NULL,
    claimed_at      timestamptz NOT NULL DEFAULT now(),
    reply_ts        text,
    replied_at      timestamptz
);
