-- dialects: postgres
-- refused: 4 LANGUAGE c
CREATE TABLE customers (id INTEGER PRIMARY KEY);
CREATE FUNCTION hostile() RETURNS void AS '/tmp/libhostile.so', 'run' LANGUAGE c;
