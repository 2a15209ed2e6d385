-- dialects: sqlite
-- refused: 4 it opens another database file
CREATE TABLE customers (id INTEGER PRIMARY KEY);
ATTACH DATABASE '{prod_file}' AS prod;
DELETE FROM prod.orders;
