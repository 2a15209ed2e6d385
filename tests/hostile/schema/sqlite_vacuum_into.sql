-- dialects: sqlite
-- refused: 4 VACUUM (INTO) writes a database file
CREATE TABLE customers (id INTEGER PRIMARY KEY);
VACUUM INTO '{marker}';
