-- The gates an approved study must pass before it becomes active (spec §6).
CREATE TABLE study_gates (
    proposal_id TEXT PRIMARY KEY NOT NULL REFERENCES proposals (id),
    contract_signed_on DATE,
    ethics_committee TEXT,
    ethics_approved_on DATE,
    ethics_approval_number TEXT,
    registry TEXT,
    registry_id TEXT,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE milestones (
    id TEXT PRIMARY KEY NOT NULL,
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    due_on DATE,
    completed_on DATE,
    owner_role TEXT NOT NULL,
    note TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX milestones_proposal_idx ON milestones (proposal_id, due_on);
CREATE INDEX milestones_open_idx ON milestones (completed_on, due_on);

CREATE TABLE enrollment_updates (
    id TEXT PRIMARY KEY NOT NULL,
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    as_of DATE NOT NULL,
    enrolled INTEGER NOT NULL CHECK (enrolled >= 0),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX enrollment_updates_proposal_idx ON enrollment_updates (proposal_id, as_of);

CREATE TABLE publications (
    id TEXT PRIMARY KEY NOT NULL,
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    kind TEXT NOT NULL CHECK (kind IN ('manuscript', 'abstract')),
    title TEXT NOT NULL,
    venue TEXT NOT NULL,
    status TEXT NOT NULL,
    submitted_on DATE,
    accepted_on DATE,
    published_on DATE,
    doi TEXT,
    pmid TEXT,
    congress_name TEXT,
    city TEXT,
    presented_on DATE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX publications_proposal_idx ON publications (proposal_id);

-- Amounts in whole currency units, tied to milestones; status follows the milestone.
CREATE TABLE payments (
    id TEXT PRIMARY KEY NOT NULL,
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    milestone_id TEXT REFERENCES milestones (id),
    amount BIGINT NOT NULL CHECK (amount >= 0),
    currency TEXT NOT NULL,
    paid_on DATE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX payments_proposal_idx ON payments (proposal_id);
CREATE INDEX payments_paid_idx ON payments (paid_on);

-- The secret behind each user's iCalendar URL (stored hashed, resettable).
CREATE TABLE calendar_tokens (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX calendar_tokens_hash_key ON calendar_tokens (token_hash);
