-- current
CREATE TABLE t (id INT PRIMARY KEY, grade ENUM('A', 'B') NOT NULL DEFAULT 'A', flags SET('Red', 'blue'));
-- desired
CREATE TABLE t (id INT PRIMARY KEY, grade ENUM('a', 'b') NOT NULL DEFAULT 'a', flags SET('red', 'blue'));
-- expect
alter_column t.grade default,type
alter_column t.flags type
