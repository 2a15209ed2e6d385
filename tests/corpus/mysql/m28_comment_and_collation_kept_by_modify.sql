-- current
CREATE TABLE t (id INT PRIMARY KEY, n VARCHAR(10) COLLATE utf8mb4_bin COMMENT 'keep me');
INSERT INTO t VALUES (1, 'Ab');
-- desired
CREATE TABLE t (id INT PRIMARY KEY, n VARCHAR(40) COLLATE utf8mb4_bin);
-- expect
alter_column t.n type
