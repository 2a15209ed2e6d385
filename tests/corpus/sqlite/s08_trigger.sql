-- current
CREATE TABLE t (id INTEGER PRIMARY KEY, n INT);
-- desired
CREATE TABLE t (id INTEGER PRIMARY KEY, n INT);
CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN UPDATE t SET n = 0 WHERE id = NEW.id AND n IS NULL; END;
-- expect
add_trigger t_ai
