-- current
CREATE TABLE payments (id INT PRIMARY KEY, amount DECIMAL(10,2) NOT NULL);
INSERT INTO payments VALUES (1, 9.99);
-- desired
CREATE TABLE payments (id INT PRIMARY KEY, amount DECIMAL(10,2) NOT NULL, CONSTRAINT ck_payments_amount CHECK (amount > 0));
-- expect
add_check ck_payments_amount
