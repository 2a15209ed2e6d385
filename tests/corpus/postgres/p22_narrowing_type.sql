-- current
CREATE TABLE t (id int PRIMARY KEY, n bigint);
INSERT INTO t VALUES (1, 5);
-- desired
CREATE TABLE t (id int PRIMARY KEY, n integer);
-- expect
alter_column t.n type
