-- current
CREATE TABLE t (id int PRIMARY KEY, qty int CONSTRAINT qty_pos CHECK (qty>0));
-- desired
CREATE TABLE t (id int PRIMARY KEY, qty int, CONSTRAINT qty_pos CHECK ( ( qty > 0 ) ));
-- expect
