-- current
CREATE TABLE accounts (id serial PRIMARY KEY, name text);
INSERT INTO accounts (name) VALUES ('a');
-- desired
CREATE TABLE accounts (id bigserial PRIMARY KEY, name text);
CREATE TABLE events (id bigserial PRIMARY KEY, account_id int REFERENCES accounts (id), n smallserial);
-- expect
add_table events
alter_column accounts.id type
