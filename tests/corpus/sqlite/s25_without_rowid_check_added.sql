-- current
CREATE TABLE stock (warehouse TEXT NOT NULL, sku TEXT NOT NULL, qty INT NOT NULL, PRIMARY KEY (warehouse, sku)) WITHOUT ROWID;
INSERT INTO stock VALUES ('w1', 'a', 3), ('w1', 'b', 0);
-- desired
CREATE TABLE stock (warehouse TEXT NOT NULL, sku TEXT NOT NULL, qty INT NOT NULL, PRIMARY KEY (warehouse, sku), CHECK (qty >= 0)) WITHOUT ROWID;
-- expect
add_check stock CHECK (qty >= 0)
