-- current
CREATE TABLE items (id int PRIMARY KEY, price int, qty int);
-- desired
CREATE TABLE items (id int PRIMARY KEY, price int, qty int, total int GENERATED ALWAYS AS (price * qty) STORED);
-- expect
add_column items.total
