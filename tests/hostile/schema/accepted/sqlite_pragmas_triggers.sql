-- dialects: sqlite
-- tables: customers orders
PRAGMA foreign_keys = ON;
BEGIN;
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
  doubled INTEGER GENERATED ALWAYS AS (id * 2) VIRTUAL);
CREATE TRIGGER orders_cleanup AFTER DELETE ON customers BEGIN DELETE FROM orders WHERE customer_id = old.id; END;
COMMIT;
