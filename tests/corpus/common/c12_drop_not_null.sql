-- current
CREATE TABLE t (id INTEGER PRIMARY KEY, note VARCHAR(40) NOT NULL);
INSERT INTO t (id, note) VALUES (1, 'x');
-- desired
CREATE TABLE t (id INTEGER PRIMARY KEY, note VARCHAR(40));
-- expect
alter_column t.note nullable
