-- current
CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(64) NOT NULL);
INSERT INTO customers VALUES (1, 'a@example.com');
-- desired
CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(255) NOT NULL);
-- expect
alter_column customers.email type
