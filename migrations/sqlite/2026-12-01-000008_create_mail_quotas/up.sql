-- Emails a requester may cause per hour, counted across every process: per recipient
-- (a keyed hash of the address, never the address) and per client address.
CREATE TABLE mail_quotas (
    quota_key TEXT NOT NULL,
    window_start TIMESTAMP NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (quota_key, window_start)
);
CREATE INDEX mail_quotas_window_idx ON mail_quotas (window_start);
