-- dialects: postgres
-- refused: 4 SET role
CREATE TABLE customers (id INTEGER PRIMARY KEY);
SET role = postgres;
