-- dialects: mysql
-- refused: 4 it names another database
CREATE TABLE customers (id INTEGER PRIMARY KEY);
CREATE TABLE {prod}.planted (id INTEGER PRIMARY KEY);
