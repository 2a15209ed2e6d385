-- current
CREATE TABLE orders (id INTEGER PRIMARY KEY, total INT, status TEXT);
CREATE VIEW open_orders AS SELECT id, total FROM orders WHERE status = 'open';
-- desired
CREATE TABLE orders (id INTEGER PRIMARY KEY, total INT, status TEXT);
CREATE VIEW open_orders AS SELECT id, total, status FROM orders WHERE status IN ('open', 'held');
-- expect
alter_view open_orders
