-- dialects: postgres
-- refused: 4 the psql meta-command \!
CREATE TABLE customers (id INTEGER PRIMARY KEY);
\! touch {marker}
