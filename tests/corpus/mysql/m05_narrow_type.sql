-- current
CREATE TABLE t (id INT PRIMARY KEY, code VARCHAR(100));
INSERT INTO t VALUES (1, 'abc');
-- desired
CREATE TABLE t (id INT PRIMARY KEY, code VARCHAR(10));
-- expect
alter_column t.code type
