-- current
CREATE TABLE t (id INTEGER PRIMARY KEY, code VARCHAR(20));
INSERT INTO t (id, code) VALUES (1, 'abc');
-- desired
CREATE TABLE t (id INTEGER PRIMARY KEY, code VARCHAR(20) NOT NULL);
-- expect
alter_column t.code nullable
