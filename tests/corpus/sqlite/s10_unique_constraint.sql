-- current
CREATE TABLE users (id INTEGER PRIMARY KEY, tenant INT, email TEXT);
-- desired
CREATE TABLE users (id INTEGER PRIMARY KEY, tenant INT, email TEXT, UNIQUE (tenant, email));
-- expect
add_unique users(tenant, email)
