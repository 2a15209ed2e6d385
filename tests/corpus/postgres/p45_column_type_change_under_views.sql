-- current
CREATE TABLE orders (id int PRIMARY KEY, total integer, paid boolean, note text);
CREATE VIEW paid_orders AS SELECT id, total FROM orders WHERE paid;
CREATE VIEW paid_total AS SELECT sum(total) AS total FROM paid_orders;
CREATE VIEW notes AS SELECT id, note FROM orders;
GRANT SELECT ON paid_total TO pg_monitor;
INSERT INTO orders VALUES (1, 10, true, 'x');
-- desired
CREATE TABLE orders (id int PRIMARY KEY, total bigint, paid boolean, note text);
CREATE VIEW paid_orders AS SELECT id, total FROM orders WHERE paid;
CREATE VIEW paid_total AS SELECT sum(total) AS total FROM paid_orders;
CREATE VIEW notes AS SELECT id, note FROM orders;
GRANT SELECT ON paid_total TO pg_monitor;
-- expect
alter_column orders.total type
