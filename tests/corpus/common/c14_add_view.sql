-- current
CREATE TABLE orders (id INTEGER PRIMARY KEY, total INT);
-- desired
CREATE TABLE orders (id INTEGER PRIMARY KEY, total INT);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
-- expect
add_view big_orders
