-- current
CREATE TABLE audit (id INTEGER PRIMARY KEY, msg TEXT);
CREATE TABLE t (id INTEGER PRIMARY KEY, n INT);
CREATE TRIGGER t_hotfix AFTER UPDATE ON t BEGIN INSERT INTO audit (msg) VALUES ('updated'); END;
-- desired
CREATE TABLE audit (id INTEGER PRIMARY KEY, msg TEXT);
CREATE TABLE t (id INTEGER PRIMARY KEY, n INT);
-- expect
production_only t_hotfix trigger
