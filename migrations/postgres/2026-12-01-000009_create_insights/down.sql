DROP TABLE insight_restricted_phrases;
DROP TABLE insight_history;
DROP FUNCTION insight_history_refuse_change();
DROP TABLE insight_links;
DROP TABLE insights;
DROP TABLE listening_priorities;
