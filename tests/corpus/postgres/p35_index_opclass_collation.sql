-- current
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE users (id int PRIMARY KEY, email text, name text, handle varchar(40));
CREATE INDEX users_email_pattern ON users (email);
CREATE INDEX users_name_c ON users (name COLLATE "C");
-- desired
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE users (id int PRIMARY KEY, email text, name text, handle varchar(40));
CREATE INDEX users_email_pattern ON users (email text_pattern_ops);
CREATE INDEX users_name_trgm ON users USING gin (name gin_trgm_ops);
CREATE INDEX users_name_c ON users (name COLLATE "C");
CREATE INDEX users_handle_pattern ON users (handle varchar_pattern_ops);
CREATE INDEX users_lower_email_c ON users ((lower(email)) COLLATE "C" text_pattern_ops DESC);
-- expect
drop_index users_email_pattern
add_index users_email_pattern
add_index users_handle_pattern
add_index users_lower_email_c
add_index users_name_trgm
