-- The production database as it is today (before main's changes).
-- Rebuild db/shop.db with: python db/build.py
PRAGMA foreign_keys = ON;

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    total_cents INTEGER NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    legacy_note TEXT
);

CREATE INDEX idx_orders_customer ON orders(customer_id);

INSERT INTO customers (id, email, name) VALUES
    (1, 'ada@example.invalid', 'Ada'),
    (2, 'grace@example.invalid', 'Grace'),
    (3, 'linus@example.invalid', 'Linus');

INSERT INTO orders (id, customer_id, total_cents, created_at, legacy_note) VALUES
    (1, 1, 1999, '2026-01-05 10:00:00', 'imported from v1'),
    (2, 1, 4500, '2026-02-11 12:30:00', NULL),
    (3, 2, 250, '2026-03-01 08:15:00', 'gift wrap'),
    (4, 3, 12000, '2026-04-20 17:45:00', NULL),
    (5, 2, 899, '2026-05-02 09:05:00', NULL);
