-- current
CREATE TABLE kv (k TEXT NOT NULL, v TEXT COLLATE NOCASE);
INSERT INTO kv VALUES ('a', 'A'), ('b', 'B');
-- desired
CREATE TABLE kv (k TEXT NOT NULL PRIMARY KEY, v TEXT COLLATE NOCASE) WITHOUT ROWID;
-- expect
alter_primary_key kv
alter_table_options kv
