DROP TABLE webhooks;
DROP TABLE cro_assignments;
