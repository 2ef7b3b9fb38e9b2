DROP TABLE decisions;
DROP TABLE review_assignments;
-- SQLite cannot drop a column with a foreign key; the column stays (NULL) on revert.
DROP TABLE committee_members;
DROP TABLE committees;
