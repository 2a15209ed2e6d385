-- current
CREATE TABLE t (id INTEGER PRIMARY KEY, old_a VARCHAR(10));
-- desired
CREATE TABLE t (id INTEGER PRIMARY KEY, new_a VARCHAR(10), new_b VARCHAR(10));
-- expect
add_column t.new_a
add_column t.new_b
production_only t.old_a column
