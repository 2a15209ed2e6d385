-- current
CREATE TABLE orders (id bigint PRIMARY KEY, total integer, paid boolean);
-- desired
CREATE TABLE orders (id bigint PRIMARY KEY, total integer, paid boolean);
CREATE VIEW paid_orders AS SELECT id, total FROM orders WHERE paid;
CREATE VIEW big_paid_orders AS SELECT id FROM paid_orders WHERE total > 100;
-- expect
add_view paid_orders
add_view big_paid_orders
