-- The role of the newest advice message's author on each proposal, kept by store::msl::
-- insert_advice in the message's transaction: a to-do list reads whose turn a thread is
-- without reading the threads (docs/performance.md, third push).
ALTER TABLE proposals ADD COLUMN advice_last_role TEXT;
UPDATE proposals SET advice_last_role = (
    SELECT a.author_role FROM advice a
    WHERE a.proposal_id = proposals.id
    ORDER BY a.created_at DESC, a.id DESC
    LIMIT 1
);
CREATE INDEX proposals_owner_advice_idx ON proposals (owner_id, advice_last_role, id);
