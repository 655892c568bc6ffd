-- The alert rules' version, moved on in the same transaction as the rules it stands for, so a reader that
-- sees a new version sees its rules too (a sequence moves outside transactions: a reader could take the new
-- number with the old rules and never look again).  Replaces alert_rules_version.
CREATE TABLE alert_rules_moved (version bigint NOT NULL);
INSERT INTO alert_rules_moved (version) SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM alert_rules_version;
DROP SEQUENCE alert_rules_version;
