-- current
CREATE TABLE t (id int PRIMARY KEY, name text);
-- desired
CREATE TABLE t (id int PRIMARY KEY, name text COLLATE "C");
-- expect
alter_column t.name collation
