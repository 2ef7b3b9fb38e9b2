DROP TABLE documents;
DROP TABLE interactions;
DROP TABLE advice;
DROP TABLE msl_assignments;
ALTER TABLE proposals DROP COLUMN advice_requested_at;
