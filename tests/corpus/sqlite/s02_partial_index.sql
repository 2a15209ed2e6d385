-- current
CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, deleted_at TEXT);
-- desired
CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, deleted_at TEXT);
CREATE INDEX ix_live ON orders (status) WHERE deleted_at IS NULL;
-- expect
add_index ix_live
