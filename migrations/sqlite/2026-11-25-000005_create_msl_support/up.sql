ALTER TABLE proposals ADD COLUMN advice_requested_at TIMESTAMP;

CREATE TABLE msl_assignments (
    id TEXT PRIMARY KEY NOT NULL,
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    msl_id TEXT NOT NULL REFERENCES users (id),
    assigned_by TEXT NOT NULL REFERENCES users (id),
    assigned_at TIMESTAMP NOT NULL,
    unassigned_at TIMESTAMP
);
CREATE INDEX msl_assignments_proposal_idx ON msl_assignments (proposal_id, msl_id);
CREATE INDEX msl_assignments_msl_idx ON msl_assignments (msl_id);

CREATE TABLE advice (
    id TEXT PRIMARY KEY NOT NULL,
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    parent_id TEXT REFERENCES advice (id),
    author_id TEXT NOT NULL REFERENCES users (id),
    author_role TEXT NOT NULL,
    section TEXT,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX advice_proposal_idx ON advice (proposal_id, created_at);

-- Append-only: the record of every MSL–investigator contact.
CREATE TABLE interactions (
    id TEXT PRIMARY KEY NOT NULL,
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    msl_id TEXT NOT NULL REFERENCES users (id),
    occurred_on DATE NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('meeting', 'call', 'email', 'web')),
    summary TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX interactions_proposal_idx ON interactions (proposal_id, occurred_on);
CREATE TRIGGER interactions_no_update BEFORE UPDATE ON interactions
BEGIN
    SELECT RAISE(ABORT, 'interactions are append-only');
END;
CREATE TRIGGER interactions_no_delete BEFORE DELETE ON interactions
BEGIN
    SELECT RAISE(ABORT, 'interactions are append-only');
END;

-- Versioned documents, kept in the database so backups and every process see them.
CREATE TABLE documents (
    id TEXT PRIMARY KEY NOT NULL,
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    doc_type TEXT NOT NULL CHECK (doc_type IN ('protocol', 'synopsis', 'budget', 'cv', 'ethics_letter', 'contract', 'other')),
    version INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX documents_version_key ON documents (proposal_id, doc_type, version);
