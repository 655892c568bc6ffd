-- Runbook links of alert rules that point off the docs site, as the docs monitor last found them: a link
-- that starts answering 404 or 410 is a runbook that broke (`broke_at`), listed in that week's handoff mail.
CREATE TABLE rule_links (
    url         text PRIMARY KEY,
    status      integer,                 -- the last HTTP status; NULL when the host could not be reached
    checked_at  timestamptz NOT NULL DEFAULT now(),
    broke_at    timestamptz              -- when it went from answering to gone; NULL while it answers
);
