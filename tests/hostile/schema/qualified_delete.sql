-- dialects: sqlite mysql
-- refused: 5 a schema file may not change data
CREATE TABLE customers (id INTEGER PRIMARY KEY);
-- the production database, reached by name
DELETE FROM {prod}.orders;
