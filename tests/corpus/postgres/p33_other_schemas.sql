-- current
CREATE SCHEMA reporting;
CREATE TABLE accounts (id int PRIMARY KEY);
-- desired
CREATE SCHEMA IF NOT EXISTS extensions;
CREATE SCHEMA audit;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
CREATE TABLE accounts (id int PRIMARY KEY);
CREATE TABLE api_keys (id uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(), account_id int REFERENCES accounts (id));
-- expect
add_schema audit
add_schema extensions
add_extension pgcrypto
add_table api_keys
