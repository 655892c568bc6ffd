-- One row per running process: when it last said it was alive and how its last step went.
CREATE TABLE process_status (
    process      text PRIMARY KEY,
    host_pid     text NOT NULL,
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    last_outcome text,
    details      jsonb NOT NULL DEFAULT '{}'::jsonb
);
