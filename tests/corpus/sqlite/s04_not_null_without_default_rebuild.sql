-- current
CREATE TABLE t (id INTEGER PRIMARY KEY);
-- desired
CREATE TABLE t (id INTEGER PRIMARY KEY, created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
-- expect
add_column t.created
