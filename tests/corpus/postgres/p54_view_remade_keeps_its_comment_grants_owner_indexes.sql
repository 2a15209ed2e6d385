-- current
CREATE TABLE orders (id int PRIMARY KEY, total integer, paid boolean, note text);
INSERT INTO orders VALUES (1, 10, true, 'x');
CREATE VIEW paid_orders AS SELECT id, total FROM orders WHERE paid;
COMMENT ON VIEW paid_orders IS 'orders that are paid';
COMMENT ON COLUMN paid_orders.total IS 'in cents';
GRANT SELECT (id, total) ON paid_orders TO pg_monitor;
GRANT UPDATE (note) ON orders TO pg_monitor;
ALTER VIEW paid_orders OWNER TO pg_read_all_data;
CREATE MATERIALIZED VIEW paid_summary AS SELECT id, total FROM paid_orders;
CREATE UNIQUE INDEX paid_summary_id ON paid_summary (id);
CREATE INDEX paid_summary_total_old ON paid_summary (total);
COMMENT ON MATERIALIZED VIEW paid_summary IS 'refreshed nightly';
CREATE MATERIALIZED VIEW totals AS SELECT sum(total) AS total FROM orders;
CREATE INDEX totals_total ON totals (total);
CREATE VIEW open_orders AS SELECT id FROM orders WHERE NOT paid;
COMMENT ON VIEW open_orders IS 'to chase';
-- desired
CREATE TABLE orders (id int PRIMARY KEY, total bigint, paid boolean, note text);
CREATE VIEW paid_orders AS SELECT id, total FROM orders WHERE paid;
COMMENT ON VIEW paid_orders IS 'orders that are paid';
COMMENT ON COLUMN paid_orders.total IS 'in cents';
GRANT SELECT (id, total) ON paid_orders TO pg_monitor;
GRANT UPDATE (note) ON orders TO pg_monitor;
GRANT SELECT (paid) ON orders TO pg_monitor;
CREATE MATERIALIZED VIEW paid_summary AS SELECT id, total FROM paid_orders;
CREATE UNIQUE INDEX paid_summary_id ON paid_summary (id);
CREATE INDEX paid_summary_total ON paid_summary (total DESC);
COMMENT ON MATERIALIZED VIEW paid_summary IS 'refreshed nightly';
CREATE MATERIALIZED VIEW totals AS SELECT sum(total) AS total, count(*) AS n FROM orders;
CREATE INDEX totals_total ON totals (total);
CREATE INDEX totals_n ON totals (n);
CREATE VIEW open_orders AS SELECT id, note FROM orders WHERE NOT paid;
COMMENT ON VIEW open_orders IS 'to chase';
COMMENT ON COLUMN open_orders.note IS 'why it is open';
CREATE MATERIALIZED VIEW notes AS SELECT id, note FROM orders;
CREATE INDEX notes_id ON notes (id);
-- expect
alter_column orders.total type
add_view notes
alter_view open_orders
alter_view totals
add_index paid_summary_total
add_grant orders to pg_monitor
set_comment open_orders.note
production_only paid_summary_total_old index
