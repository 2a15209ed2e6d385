-- current
CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT, deleted INT);
CREATE UNIQUE INDEX ux_people_email ON people (LOWER( email )) WHERE deleted=0;
-- desired
CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT, deleted INT);
CREATE UNIQUE INDEX ux_people_email ON people (lower(email)) WHERE (deleted = 0);
-- expect
