-- dialects: postgres
-- refused: 4 roles are not part of a schema
CREATE TABLE customers (id INTEGER PRIMARY KEY);
CREATE ROLE parity_hostile_role SUPERUSER LOGIN;
