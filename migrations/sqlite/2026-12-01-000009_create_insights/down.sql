DROP TABLE insight_restricted_phrases;
DROP TABLE insight_history;
DROP TABLE insight_links;
DROP TABLE insights;
DROP TABLE listening_priorities;
