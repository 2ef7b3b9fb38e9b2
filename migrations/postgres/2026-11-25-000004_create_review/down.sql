DROP TABLE decisions;
DROP TABLE review_assignments;
ALTER TABLE proposals DROP COLUMN committee_id;
DROP TABLE committee_members;
DROP TABLE committees;
