-- Messages to deliver, written in the same transaction as the change that causes them and
-- delivered by the worker with retries. Rendering happens at send time from `event` + `data`.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    event TEXT NOT NULL,
    recipient TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    lang TEXT NOT NULL,
    data TEXT NOT NULL,
    dedupe_key TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'dead')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_by TEXT,
    claimed_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
-- At most one message per key (reminders: one per milestone and step). NULLs do not collide.
CREATE UNIQUE INDEX outbox_dedupe_key ON outbox (dedupe_key);
CREATE INDEX outbox_due_idx ON outbox (status, next_attempt_at);
