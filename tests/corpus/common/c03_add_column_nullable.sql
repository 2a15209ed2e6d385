-- current
CREATE TABLE orders (id INTEGER PRIMARY KEY, total INT NOT NULL);
INSERT INTO orders (id, total) VALUES (1, 10), (2, 20);
-- desired
CREATE TABLE orders (id INTEGER PRIMARY KEY, total INT NOT NULL, exported_at VARCHAR(30));
-- expect
add_column orders.exported_at
