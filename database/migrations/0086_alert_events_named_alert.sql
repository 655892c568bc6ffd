-- The alert a message names in a field of its own ("*Alert:* KubeNodeUnreachable", alertname=…),
-- as written (matching.details.named_alert); NULL when it names none.  The team's feedback on the
-- message is kept under this alert's key rather than its title's: every alert posted under a generic
-- title ("Incident triggered by Alertmanager") had one key, and a lesson taught on one answered all.
ALTER TABLE alert_events ADD COLUMN named_alert text;
