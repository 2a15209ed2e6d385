-- current
CREATE TABLE orders (id INTEGER PRIMARY KEY, legacy_note VARCHAR(100));
-- desired
CREATE TABLE orders (id INTEGER PRIMARY KEY, status VARCHAR(100) NOT NULL DEFAULT 'new', exported_at VARCHAR(100));
-- expect
add_column orders.status
add_column orders.exported_at
production_only orders.legacy_note column
