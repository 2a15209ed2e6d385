-- current
CREATE TABLE orders (id INTEGER PRIMARY KEY, status VARCHAR(20));
CREATE INDEX idx_hotfix ON orders (status);
-- desired
CREATE TABLE orders (id INTEGER PRIMARY KEY, status VARCHAR(20));
-- expect
production_only idx_hotfix index
