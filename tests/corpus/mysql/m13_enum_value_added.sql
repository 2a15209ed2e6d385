-- current
CREATE TABLE orders (id INT PRIMARY KEY, status ENUM('new', 'paid', 'shipped') NOT NULL DEFAULT 'new');
INSERT INTO orders VALUES (1, 'paid');
-- desired
CREATE TABLE orders (id INT PRIMARY KEY, status ENUM('new', 'paid', 'shipped', 'refunded') NOT NULL DEFAULT 'new');
-- expect
alter_column orders.status type
