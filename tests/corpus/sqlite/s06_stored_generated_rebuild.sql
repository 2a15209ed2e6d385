-- current
CREATE TABLE items (id INTEGER PRIMARY KEY, price INT, qty INT);
INSERT INTO items VALUES (1, 2, 3);
-- desired
CREATE TABLE items (id INTEGER PRIMARY KEY, price INT, qty INT, total INT GENERATED ALWAYS AS (price * qty) STORED);
-- expect
add_column items.total
