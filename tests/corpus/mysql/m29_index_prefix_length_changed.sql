-- current
CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(100), KEY ix (name(10)));
-- desired
CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(100), KEY ix (name(20)));
-- expect
drop_index ix
add_index ix
