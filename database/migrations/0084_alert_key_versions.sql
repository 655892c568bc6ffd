-- Which version of matching.titles.alert_key the stored title keys (incidents.title_key,
-- alert_feedback.title_key) were made with; matching.stored_keys makes them again from their titles
-- when the cleaner's ALERT_KEY_VERSION moves, so an alert's history and the team's lessons stay one alert.
CREATE TABLE alert_key_versions (
    name    text PRIMARY KEY,
    version integer NOT NULL
);
