-- current
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE TABLE users (id int PRIMARY KEY, prefs hstore);
-- desired
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE TABLE users (id int PRIMARY KEY, email citext);
CREATE TABLE sessions (id uuid PRIMARY KEY DEFAULT uuid_generate_v4(), user_id int REFERENCES users (id));
-- expect
add_extension citext
add_extension uuid-ossp
add_table sessions
add_column users.email
production_only hstore extension
production_only users.prefs column
