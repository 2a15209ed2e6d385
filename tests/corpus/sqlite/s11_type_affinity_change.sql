-- current
CREATE TABLE t (id INTEGER PRIMARY KEY, amount TEXT);
INSERT INTO t VALUES (1, '10');
-- desired
CREATE TABLE t (id INTEGER PRIMARY KEY, amount INTEGER);
-- expect
alter_column t.amount type
