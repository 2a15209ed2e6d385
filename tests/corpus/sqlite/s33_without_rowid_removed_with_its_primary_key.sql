-- current
CREATE TABLE kv (k TEXT NOT NULL, grp INT NOT NULL, v TEXT, PRIMARY KEY (grp, k)) WITHOUT ROWID;
INSERT INTO kv VALUES ('a', 1, 'A'), ('a', 2, 'B');
-- desired
CREATE TABLE kv (k TEXT NOT NULL, grp INT NOT NULL, v TEXT);
-- expect
alter_table_options kv
alter_primary_key kv
