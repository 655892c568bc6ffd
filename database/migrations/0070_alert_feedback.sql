-- What people said about the bot's answer to an alert (bot/feedback_store.py): the Helpful and Wrong
-- runbook buttons on its reply, the choice that follows, and a runbook attached to an alert it stayed
-- quiet on.  One row per person per alert message; a changed mind updates the row.  The matcher learns
-- from every row of an alert's title key (matching/lessons.py) that an admin has not undone.
CREATE TABLE alert_feedback (
    id              bigserial PRIMARY KEY,
    alert_event_id  bigint NOT NULL REFERENCES alert_events (id) ON DELETE CASCADE,
    voter           text NOT NULL,            -- the Slack user id
    voter_name      text NOT NULL,            -- their handle, as the reply shows it ("@ana")
    -- matching.titles.alert_key of the alert's title: the same alert's next firing has the same key.
    title_key       text NOT NULL,
    verdict         text NOT NULL CHECK (verdict IN ('helpful', 'corrected', 'no_runbook')),
    replied_alert   text,                     -- the runbook the bot answered with, if it did
    chosen_alert    text,                     -- corrected: the runbook chosen instead
    chosen_url      text,
    voted_at        timestamptz NOT NULL DEFAULT now(),
    forgotten_at    timestamptz,              -- undone by an admin (slack_bot.py --forget)
    forgotten_by    text,
    UNIQUE (alert_event_id, voter)
);
CREATE INDEX alert_feedback_key_idx ON alert_feedback (title_key) WHERE forgotten_at IS NULL;
CREATE INDEX alert_feedback_voted_idx ON alert_feedback (voted_at);
