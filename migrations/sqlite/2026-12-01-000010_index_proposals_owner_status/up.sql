-- The investigator's to-do list counts their proposals per status (workflows::todo).
CREATE INDEX proposals_owner_status_idx ON proposals (owner_id, status, id);
