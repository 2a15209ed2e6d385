-- current
CREATE TABLE t (id int PRIMARY KEY, status text DEFAULT 'new');
-- desired
CREATE TABLE t (id int PRIMARY KEY, status text);
-- expect
alter_column t.status default
