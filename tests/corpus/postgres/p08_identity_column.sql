-- current
CREATE TABLE t (name text);
-- desired
CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY, name text);
-- expect
add_column t.id
