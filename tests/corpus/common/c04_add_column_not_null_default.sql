-- current
CREATE TABLE orders (id INTEGER PRIMARY KEY, total INT NOT NULL);
INSERT INTO orders (id, total) VALUES (1, 10);
-- desired
CREATE TABLE orders (id INTEGER PRIMARY KEY, total INT NOT NULL, status VARCHAR(20) NOT NULL DEFAULT 'new');
-- expect
add_column orders.status
