-- One row per handoff week: the claim that makes the weekly mail go out exactly once.
-- A mailer owns a week while claimed_by is set and its lease is fresh; the row becomes
-- 'sent' only after the SMTP server accepted the mail, 'failed' on a permanent refusal.
CREATE TABLE handoff_runs (
    week_of      date PRIMARY KEY,                 -- local date the handoff week starts on
    week_start   timestamptz NOT NULL,
    week_end     timestamptz NOT NULL,
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'sent', 'failed')),
    reason       text,                             -- why the last attempt did not send
    claimed_by   text,                             -- host:pid of the mailer sending it now
    claimed_at   timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    message_id   text,
    recipients   integer,
    incidents    integer,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    CHECK (week_end > week_start)
);
