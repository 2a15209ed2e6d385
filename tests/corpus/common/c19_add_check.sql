-- current
CREATE TABLE t (id INTEGER PRIMARY KEY, qty INT);
INSERT INTO t (id, qty) VALUES (1, 5);
-- desired
CREATE TABLE t (id INTEGER PRIMARY KEY, qty INT, CONSTRAINT ck_qty CHECK (qty >= 0));
-- expect
add_check ck_qty
