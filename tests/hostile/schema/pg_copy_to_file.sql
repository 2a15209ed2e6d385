-- dialects: postgres
-- refused: 5 COPY reads or writes files
CREATE TABLE customers (id INTEGER PRIMARY KEY);

COPY (SELECT 1) TO '{marker}';
