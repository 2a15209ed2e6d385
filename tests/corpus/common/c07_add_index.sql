-- current
CREATE TABLE orders (id INTEGER PRIMARY KEY, status VARCHAR(20));
-- desired
CREATE TABLE orders (id INTEGER PRIMARY KEY, status VARCHAR(20));
CREATE INDEX idx_orders_status ON orders (status);
-- expect
add_index idx_orders_status
