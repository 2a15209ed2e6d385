-- current
CREATE TABLE t (id INT NOT NULL PRIMARY KEY, name VARCHAR(20));
-- desired
CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20));
-- expect
alter_column t.id identity
