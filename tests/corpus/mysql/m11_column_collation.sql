-- current
CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20));
-- desired
CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20) COLLATE utf8mb4_bin);
-- expect
alter_column t.name collation
