-- dialects: postgres
-- refused: 4 reaches outside the database
CREATE TABLE customers (id INTEGER PRIMARY KEY);
CREATE EXTENSION IF NOT EXISTS dblink;
