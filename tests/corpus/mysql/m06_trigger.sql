-- current
CREATE TABLE t (id INT PRIMARY KEY, n INT);
-- desired
CREATE TABLE t (id INT PRIMARY KEY, n INT);
CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW SET NEW.n = COALESCE(NEW.n, 0);
-- expect
add_trigger t_bi
