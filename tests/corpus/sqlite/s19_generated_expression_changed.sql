-- current
CREATE TABLE lines (id INTEGER PRIMARY KEY, price INT, qty INT, total INT GENERATED ALWAYS AS (price * qty) VIRTUAL);
INSERT INTO lines (id, price, qty) VALUES (1, 5, 2);
-- desired
CREATE TABLE lines (id INTEGER PRIMARY KEY, price INT, qty INT, total INT GENERATED ALWAYS AS (price * qty + 1) VIRTUAL);
-- expect
alter_column lines.total generated
