-- dialects: mysql
-- refused: 4 SET GLOBAL
CREATE TABLE customers (id INTEGER PRIMARY KEY);
SET GLOBAL max_connections = 1;
