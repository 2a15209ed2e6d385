-- current
CREATE TABLE items (id INT PRIMARY KEY, price INT, qty INT);
-- desired
CREATE TABLE items (id INT PRIMARY KEY, price INT, qty INT, total INT GENERATED ALWAYS AS (price * qty) VIRTUAL);
-- expect
add_column items.total
