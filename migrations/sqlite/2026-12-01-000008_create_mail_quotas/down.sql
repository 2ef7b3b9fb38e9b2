DROP TABLE mail_quotas;
