-- current
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
-- desired
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
CREATE UNIQUE INDEX ux_email ON users (lower(email));
-- expect
add_index ux_email
