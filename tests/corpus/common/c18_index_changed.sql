-- current
CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b INT);
CREATE INDEX ix_t ON t (a);
-- desired
CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b INT);
CREATE INDEX ix_t ON t (a, b);
-- expect
drop_index ix_t
add_index ix_t
