CREATE TABLE committees (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    quorum INTEGER NOT NULL CHECK (quorum >= 1),
    -- The scoring rubric: JSON list of {key, weight}.
    rubric TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX committees_name_key ON committees (name);

CREATE TABLE committee_members (
    committee_id TEXT NOT NULL REFERENCES committees (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    member_role TEXT NOT NULL CHECK (member_role IN ('reviewer', 'chair')),
    PRIMARY KEY (committee_id, user_id)
);

ALTER TABLE proposals ADD COLUMN committee_id TEXT REFERENCES committees (id);

-- One row per reviewer and round: the conflict-of-interest declaration, then the review.
CREATE TABLE review_assignments (
    id TEXT PRIMARY KEY NOT NULL,
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    reviewer_id TEXT NOT NULL REFERENCES users (id),
    round INTEGER NOT NULL,
    assigned_by TEXT NOT NULL REFERENCES users (id),
    assigned_at TIMESTAMP NOT NULL,
    coi_status TEXT NOT NULL CHECK (coi_status IN ('pending', 'none', 'conflict')),
    coi_kind TEXT,
    coi_note TEXT,
    coi_declared_at TIMESTAMP,
    scores TEXT NOT NULL,
    recommendation TEXT,
    comments_to_investigator TEXT NOT NULL,
    confidential_comments TEXT NOT NULL,
    completed_at TIMESTAMP,
    version BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX review_assignments_key ON review_assignments (proposal_id, round, reviewer_id);
CREATE INDEX review_assignments_reviewer_idx ON review_assignments (reviewer_id);

CREATE TABLE decisions (
    id TEXT PRIMARY KEY NOT NULL,
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    round INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    rationale TEXT NOT NULL,
    conditions TEXT NOT NULL,
    quorum_override_reason TEXT,
    decided_by TEXT NOT NULL REFERENCES users (id),
    decided_at TIMESTAMP NOT NULL
);
CREATE INDEX decisions_proposal_idx ON decisions (proposal_id, decided_at);
