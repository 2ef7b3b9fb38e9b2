DROP INDEX proposals_owner_advice_idx;
ALTER TABLE proposals DROP COLUMN advice_last_role;
