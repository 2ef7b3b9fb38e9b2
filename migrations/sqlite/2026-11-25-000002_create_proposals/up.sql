-- The proposal is one record from draft to closure. Searchable and policy-relevant fields are
-- columns; the form's full content (spec §3) is one JSON document, snapshotted per round.
CREATE TABLE proposals (
    id TEXT PRIMARY KEY NOT NULL,
    reference TEXT,
    status TEXT NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    product TEXT NOT NULL,
    therapeutic_area TEXT NOT NULL,
    content TEXT NOT NULL,
    round INTEGER NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP
);
CREATE UNIQUE INDEX proposals_reference_key ON proposals (reference);
CREATE INDEX proposals_owner_idx ON proposals (owner_id, id);
CREATE INDEX proposals_status_idx ON proposals (status, id);
CREATE INDEX proposals_updated_idx ON proposals (updated_at);

CREATE TABLE proposal_rounds (
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    round INTEGER NOT NULL,
    content TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    submitted_by TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (proposal_id, round)
);

CREATE TABLE proposal_events (
    id TEXT PRIMARY KEY NOT NULL,
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    actor_id TEXT NOT NULL REFERENCES users (id),
    reason TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX proposal_events_proposal_idx ON proposal_events (proposal_id, at);

-- One row per year; incremented inside the submitting transaction, so numbers are gap-free.
CREATE TABLE reference_counters (
    year INTEGER PRIMARY KEY NOT NULL,
    last_value INTEGER NOT NULL
);
