-- current
CREATE TABLE t (id INT PRIMARY KEY, created_at DATETIME);
-- desired
CREATE TABLE t (id INT PRIMARY KEY, created_at DATETIME);
CREATE INDEX ix_recent ON t (created_at DESC);
-- expect
add_index ix_recent
