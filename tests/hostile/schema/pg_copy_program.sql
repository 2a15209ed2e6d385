-- dialects: postgres
-- refused: 4 COPY reads or writes files
CREATE TABLE customers (id INTEGER PRIMARY KEY);
COPY customers FROM PROGRAM 'touch {marker}';
