-- current
CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, qty INT DEFAULT 0);
CREATE INDEX ix_t_name ON t (name);
-- desired
CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, qty INT DEFAULT 0);
CREATE INDEX ix_t_name ON t (name);
-- expect
