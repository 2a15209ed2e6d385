-- current
CREATE TABLE users (id int PRIMARY KEY, email text);
CREATE UNIQUE INDEX ux_email ON users (lower(email));
-- desired
CREATE TABLE users (id int PRIMARY KEY, email text);
CREATE UNIQUE INDEX ux_email ON users (LOWER( email ));
-- expect
