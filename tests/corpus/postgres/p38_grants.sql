-- current
CREATE TABLE orders (id int PRIMARY KEY, total numeric);
CREATE SEQUENCE invoice_no;
GRANT SELECT ON orders TO PUBLIC;
GRANT DELETE ON orders TO pg_monitor;
-- desired
CREATE TABLE orders (id int PRIMARY KEY, total numeric);
CREATE SEQUENCE invoice_no;
CREATE VIEW order_totals AS SELECT sum(total) AS total FROM orders;
GRANT SELECT, INSERT ON orders TO PUBLIC;
GRANT USAGE ON SEQUENCE invoice_no TO pg_monitor;
GRANT SELECT ON order_totals TO pg_monitor;
-- expect
add_view order_totals
add_grant invoice_no to pg_monitor
add_grant order_totals to pg_monitor
add_grant orders to public
production_only orders to pg_monitor grant
