-- current
CREATE TABLE items (id INTEGER PRIMARY KEY, price INT, qty INT);
-- desired
CREATE TABLE items (id INTEGER PRIMARY KEY, price INT, qty INT, total INT AS (price * qty));
-- expect
add_column items.total
