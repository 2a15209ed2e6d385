-- current
CREATE TABLE t (id INTEGER PRIMARY KEY, qty INT NOT NULL DEFAULT 0);
-- desired
CREATE TABLE t (id INTEGER PRIMARY KEY, qty INT NOT NULL DEFAULT 1);
-- expect
alter_column t.qty default
