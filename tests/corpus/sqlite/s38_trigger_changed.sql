-- current
CREATE TABLE orders (id INTEGER PRIMARY KEY, total INT);
CREATE TABLE audit (order_id INT);
CREATE TRIGGER tr_audit AFTER INSERT ON orders BEGIN INSERT INTO audit VALUES (NEW.id); END;
-- desired
CREATE TABLE orders (id INTEGER PRIMARY KEY, total INT);
CREATE TABLE audit (order_id INT);
CREATE TRIGGER tr_audit AFTER INSERT ON orders WHEN NEW.total > 0 BEGIN INSERT INTO audit VALUES (NEW.id); END;
-- expect
alter_trigger tr_audit
