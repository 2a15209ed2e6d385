-- dialects: mysql
-- refused: 4 it names another database
CREATE TABLE customers (id INTEGER PRIMARY KEY);
/*!50000 DROP TABLE {prod}.orders */;
