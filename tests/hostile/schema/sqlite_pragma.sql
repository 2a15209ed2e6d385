-- dialects: sqlite
-- refused: 4 PRAGMA writable_schema
CREATE TABLE customers (id INTEGER PRIMARY KEY);
PRAGMA writable_schema = ON;
