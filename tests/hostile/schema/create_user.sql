-- dialects: mysql
-- refused: 4 users are not part of a schema
CREATE TABLE customers (id INTEGER PRIMARY KEY);
CREATE USER 'parity_hostile'@'%' IDENTIFIED BY 'FAKE';
