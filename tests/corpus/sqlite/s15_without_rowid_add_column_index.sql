-- current
CREATE TABLE stock (warehouse TEXT NOT NULL, sku TEXT NOT NULL, qty INT NOT NULL, PRIMARY KEY (warehouse, sku)) WITHOUT ROWID;
INSERT INTO stock VALUES ('w1', 'a', 3), ('w1', 'b', 0);
-- desired
CREATE TABLE stock (warehouse TEXT NOT NULL, sku TEXT NOT NULL, qty INT NOT NULL, reserved INT NOT NULL DEFAULT 0, PRIMARY KEY (warehouse, sku)) WITHOUT ROWID;
CREATE INDEX ix_stock_sku ON stock (sku);
-- expect
add_column stock.reserved
add_index ix_stock_sku
