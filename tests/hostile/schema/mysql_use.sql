-- dialects: mysql
-- refused: 4 it switches to another database
CREATE TABLE customers (id INTEGER PRIMARY KEY);
USE {prod};
DROP TABLE orders;
