-- current
CREATE TABLE t (id INT PRIMARY KEY, body TEXT, code VARCHAR(50));
-- desired
CREATE TABLE t (id INT PRIMARY KEY, body TEXT, code VARCHAR(50), KEY ix_body (body(20)), UNIQUE KEY ux_code (code(8), id));
-- expect
add_index ix_body
add_index ux_code
