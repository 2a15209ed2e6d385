-- current
CREATE TABLE regions (id int PRIMARY KEY, code text UNIQUE);
CREATE TABLE shops (id int PRIMARY KEY, region_id int, region_code text, qty int, sku text, tenant int,
  CONSTRAINT shops_qty_check CHECK (qty > 0),
  CONSTRAINT shops_sku_key UNIQUE (sku),
  CONSTRAINT shops_region_fk FOREIGN KEY (region_id) REFERENCES regions (id));
INSERT INTO regions VALUES (1, 'eu');
INSERT INTO shops VALUES (1, 1, 'eu', 5, 'a', 1);
-- desired
CREATE TABLE regions (id int PRIMARY KEY, code text UNIQUE);
CREATE TABLE shops (id int PRIMARY KEY, region_id int, region_code text, qty int, sku text, tenant int,
  CONSTRAINT shops_qty_check CHECK (qty >= 0),
  CONSTRAINT shops_sku_key UNIQUE (tenant, sku),
  CONSTRAINT shops_region_fk FOREIGN KEY (region_code) REFERENCES regions (code));
-- expect
drop_unique shops_sku_key
add_unique shops_sku_key
drop_check shops_qty_check
add_check shops_qty_check
drop_foreign_key shops_region_fk
add_foreign_key shops_region_fk
