DROP TABLE calendar_tokens;
DROP TABLE payments;
DROP TABLE publications;
DROP TABLE enrollment_updates;
DROP TABLE milestones;
DROP TABLE study_gates;
