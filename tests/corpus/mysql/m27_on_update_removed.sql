-- current
CREATE TABLE t (id INT PRIMARY KEY, upd DATETIME NULL ON UPDATE CURRENT_TIMESTAMP);
-- desired
CREATE TABLE t (id INT PRIMARY KEY, upd DATETIME NULL);
-- expect
alter_column t.upd on_update
