-- dialects: sqlite postgres mysql
-- refused: 4 a schema file may not change data
CREATE TABLE orders (id INTEGER PRIMARY KEY, total_cents INTEGER);
UPDATE orders SET total_cents = 0;
