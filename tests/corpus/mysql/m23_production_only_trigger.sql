-- current
CREATE TABLE t (id INT PRIMARY KEY, n INT, changed_at DATETIME);
CREATE TRIGGER t_bu BEFORE UPDATE ON t FOR EACH ROW SET NEW.changed_at = NOW();
-- desired
CREATE TABLE t (id INT PRIMARY KEY, n INT, changed_at DATETIME);
-- expect
production_only t_bu trigger
