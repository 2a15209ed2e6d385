-- current
CREATE TABLE orders (id INTEGER PRIMARY KEY, total INT);
CREATE VIEW big_orders AS
  select id,   total
  from orders where total>100;
-- desired
CREATE TABLE orders (id INTEGER PRIMARY KEY, total INT);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
-- expect
