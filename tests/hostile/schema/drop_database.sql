-- dialects: postgres mysql
-- refused: 4 database
CREATE TABLE customers (id INTEGER PRIMARY KEY);
DROP DATABASE {prod};
