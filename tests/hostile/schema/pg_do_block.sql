-- dialects: postgres
-- refused: 4 DO runs code
CREATE TABLE customers (id INTEGER PRIMARY KEY);
DO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO ''{marker}'''; END $$;
