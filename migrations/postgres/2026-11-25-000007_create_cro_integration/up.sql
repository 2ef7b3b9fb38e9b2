-- Which partner CRO organisations work on which study, and in what role.
CREATE TABLE cro_assignments (
    id TEXT PRIMARY KEY NOT NULL,
    proposal_id TEXT NOT NULL REFERENCES proposals (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    cro_role TEXT NOT NULL CHECK (cro_role IN ('monitoring', 'data_management', 'site_management')),
    assigned_by TEXT NOT NULL REFERENCES users (id),
    assigned_at TIMESTAMP NOT NULL,
    unassigned_at TIMESTAMP
);
CREATE INDEX cro_assignments_proposal_idx ON cro_assignments (proposal_id, organization_id);
CREATE INDEX cro_assignments_org_idx ON cro_assignments (organization_id);

-- Webhook endpoints of an organisation; the secret signs every delivery (HMAC-SHA256).
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_org_idx ON webhooks (organization_id);

-- The service account that acts for an organisation's API keys.
ALTER TABLE organizations ADD COLUMN service_user_id TEXT REFERENCES users (id);
