-- dialects: postgres
-- refused: 4 CREATE TABLE … AS runs a query
CREATE TABLE customers (id INTEGER PRIMARY KEY);
CREATE TABLE copied AS SELECT * FROM pg_catalog.pg_authid;
