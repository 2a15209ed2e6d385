-- current
CREATE TABLE t (id int PRIMARY KEY);
-- desired
CREATE SEQUENCE invoice_no AS bigint START WITH 1000 INCREMENT BY 1;
CREATE TABLE t (id int PRIMARY KEY);
-- expect
add_sequence invoice_no
