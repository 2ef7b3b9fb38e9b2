-- MSL field insights (docs/PRODUCT.md#field-insights). Internal: admins and MSLs only.

-- Questions the company wants the field to answer, per therapeutic area and product.
CREATE TABLE listening_priorities (
    id TEXT PRIMARY KEY NOT NULL,
    therapeutic_area TEXT NOT NULL,
    product TEXT NOT NULL,
    question_ja TEXT NOT NULL,
    question_en TEXT NOT NULL,
    active_from DATE NOT NULL,
    active_to DATE,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX listening_priorities_area_idx ON listening_priorities (therapeutic_area, active_from);

CREATE TABLE insights (
    id TEXT PRIMARY KEY NOT NULL,
    author_id TEXT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'acknowledged')),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('unmet_need', 'safety_perception', 'treatment_practice', 'protocol_feasibility', 'competitive_landscape')),
    source TEXT NOT NULL CHECK (source IN ('one_to_one', 'advisory_board', 'congress', 'literature')),
    therapeutic_area TEXT NOT NULL,
    product TEXT NOT NULL,
    interaction_id TEXT REFERENCES interactions (id),
    justification TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    acknowledged_at TIMESTAMP,
    acknowledged_by TEXT REFERENCES users (id)
);
CREATE INDEX insights_author_idx ON insights (author_id, updated_at);
CREATE INDEX insights_submitted_idx ON insights (submitted_at);

-- What an insight is linked to: proposals, investigators (users) and listening priorities.
CREATE TABLE insight_links (
    insight_id TEXT NOT NULL REFERENCES insights (id),
    kind TEXT NOT NULL CHECK (kind IN ('proposal', 'investigator', 'priority')),
    target_id TEXT NOT NULL,
    PRIMARY KEY (insight_id, kind, target_id)
);
CREATE INDEX insight_links_target_idx ON insight_links (kind, target_id);

-- Append-only: every save, submission (with its compliance matches and justification) and
-- acknowledgement, with the text as it was.
CREATE TABLE insight_history (
    id TEXT PRIMARY KEY NOT NULL,
    insight_id TEXT NOT NULL REFERENCES insights (id),
    at TIMESTAMP NOT NULL,
    actor_id TEXT NOT NULL REFERENCES users (id),
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    compliance_matches TEXT NOT NULL,
    justification TEXT
);
CREATE INDEX insight_history_insight_idx ON insight_history (insight_id, at);
CREATE TRIGGER insight_history_no_update BEFORE UPDATE ON insight_history
BEGIN
    SELECT RAISE(ABORT, 'insight history is append-only');
END;
CREATE TRIGGER insight_history_no_delete BEFORE DELETE ON insight_history
BEGIN
    SELECT RAISE(ABORT, 'insight history is append-only');
END;

-- Restricted words and phrases admins add to the built-in defaults.
CREATE TABLE insight_restricted_phrases (
    id TEXT PRIMARY KEY NOT NULL,
    phrase TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('promotional', 'sales', 'off_label', 'other')),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
