-- current
CREATE TABLE users (id int PRIMARY KEY, email text, tenant int);
-- desired
CREATE TABLE users (id int PRIMARY KEY, email text, tenant int, CONSTRAINT users_tenant_email_key UNIQUE (tenant, email));
-- expect
add_unique users_tenant_email_key
