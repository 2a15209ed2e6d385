-- current
CREATE TABLE orders (id int PRIMARY KEY, status text, deleted_at timestamptz);
-- desired
CREATE TABLE orders (id int PRIMARY KEY, status text, deleted_at timestamptz);
CREATE INDEX ix_live ON orders (status) WHERE deleted_at IS NULL;
-- expect
add_index ix_live
