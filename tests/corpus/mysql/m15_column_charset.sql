-- current
CREATE TABLE legacy (id INT PRIMARY KEY, code VARCHAR(10));
-- desired
CREATE TABLE legacy (id INT PRIMARY KEY, code VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_swedish_ci);
-- expect
alter_column legacy.code collation
