-- dialects: postgres mysql
-- refused: 4 grants are not part of a schema
CREATE TABLE customers (id INTEGER PRIMARY KEY);
GRANT ALL ON customers TO PUBLIC;
