DROP TABLE reference_counters;
DROP TABLE proposal_events;
DROP TABLE proposal_rounds;
DROP TABLE proposals;
