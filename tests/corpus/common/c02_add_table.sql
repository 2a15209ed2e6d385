-- current
CREATE TABLE a (id INTEGER PRIMARY KEY);
-- desired
CREATE TABLE a (id INTEGER PRIMARY KEY);
CREATE TABLE b (id INTEGER PRIMARY KEY, label VARCHAR(20));
-- expect
add_table b
