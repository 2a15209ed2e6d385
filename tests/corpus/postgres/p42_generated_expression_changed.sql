-- current
CREATE TABLE items (id int PRIMARY KEY, price int, qty int, total int GENERATED ALWAYS AS (price * qty) STORED);
INSERT INTO items VALUES (1, 2, 3);
-- desired
CREATE TABLE items (id int PRIMARY KEY, price int, qty int, total int GENERATED ALWAYS AS (price * qty + 1) STORED);
-- expect
alter_column items.total generated
