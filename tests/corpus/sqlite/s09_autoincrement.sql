-- current
CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
-- desired
CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);
-- expect
alter_column t.id identity
