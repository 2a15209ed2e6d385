-- dialects: mysql
-- refused: 4 a query is not a schema statement
CREATE TABLE customers (id INTEGER PRIMARY KEY);
SELECT 'x' INTO OUTFILE '{marker}';
