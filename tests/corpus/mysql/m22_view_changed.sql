-- current
CREATE TABLE orders (id INT PRIMARY KEY, total INT, status VARCHAR(10));
CREATE VIEW open_orders AS SELECT id, total FROM orders WHERE status = 'open';
-- desired
CREATE TABLE orders (id INT PRIMARY KEY, total INT, status VARCHAR(10));
CREATE VIEW open_orders AS SELECT id, total, status FROM orders WHERE status IN ('open', 'held');
-- expect
alter_view open_orders
