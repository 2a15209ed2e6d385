-- current
CREATE TABLE customers (id INTEGER PRIMARY KEY);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total INT);
CREATE INDEX ix_total ON orders (total);
CREATE VIEW v_orders AS SELECT id, total FROM orders;
CREATE TRIGGER tr_orders AFTER INSERT ON orders BEGIN SELECT 1; END;
INSERT INTO customers VALUES (1);
INSERT INTO orders VALUES (1, 1, 10), (2, 1, 20);
-- desired
CREATE TABLE customers (id INTEGER PRIMARY KEY);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id), total INT NOT NULL);
CREATE INDEX ix_total ON orders (total);
CREATE VIEW v_orders AS SELECT id, total FROM orders;
CREATE TRIGGER tr_orders AFTER INSERT ON orders BEGIN SELECT 1; END;
-- expect
alter_column orders.total nullable
add_foreign_key orders(customer_id) → customers
