-- current
CREATE TABLE keep_me (id INTEGER PRIMARY KEY);
CREATE TABLE t (id INTEGER PRIMARY KEY);
-- desired
CREATE TABLE t (id INTEGER PRIMARY KEY);
-- expect
production_only keep_me table
