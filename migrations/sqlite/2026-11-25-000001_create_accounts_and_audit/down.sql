DROP TABLE idempotency_keys;
DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE login_links;
DROP TABLE api_tokens;
DROP TABLE users;
DROP TABLE organizations;
DROP TABLE app_settings;
