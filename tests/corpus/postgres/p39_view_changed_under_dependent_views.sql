-- current
CREATE TABLE orders (id bigint PRIMARY KEY, total integer, paid boolean, note text);
CREATE VIEW paid_orders AS SELECT id, total, note FROM orders WHERE paid;
CREATE VIEW big_paid_orders AS SELECT id, total FROM paid_orders WHERE total > 100;
CREATE VIEW biggest AS SELECT max(total) AS top FROM big_paid_orders;
CREATE VIEW unrelated AS SELECT id FROM orders;
-- desired
CREATE TABLE orders (id bigint PRIMARY KEY, total integer, paid boolean, note text);
CREATE VIEW paid_orders AS SELECT id, total FROM orders WHERE paid;
CREATE VIEW big_paid_orders AS SELECT id, total FROM paid_orders WHERE total > 100;
CREATE VIEW biggest AS SELECT max(total) AS top FROM big_paid_orders;
CREATE VIEW unrelated AS SELECT id FROM orders;
-- expect
alter_view paid_orders
