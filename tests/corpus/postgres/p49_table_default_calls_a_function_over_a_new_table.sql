-- current
CREATE TABLE accounts (id int PRIMARY KEY);
-- desired
CREATE TABLE accounts (id int PRIMARY KEY);
CREATE TABLE code_counters (prefix text PRIMARY KEY, last int NOT NULL);
CREATE FUNCTION next_code() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT 'c' || (coalesce(max(last), 0) + 1) FROM code_counters $$;
CREATE TABLE invoices (id int PRIMARY KEY, code text NOT NULL DEFAULT next_code(), account_id int REFERENCES accounts (id));
-- expect
add_table code_counters
add_function next_code()
add_table invoices
