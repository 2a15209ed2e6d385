-- current
CREATE TABLE kv (k TEXT PRIMARY KEY, v INT) STRICT, WITHOUT ROWID;
INSERT INTO kv VALUES ('a', 1);
-- desired
CREATE TABLE kv (k TEXT PRIMARY KEY, v INT) WITHOUT ROWID;
-- expect
alter_table_options kv
