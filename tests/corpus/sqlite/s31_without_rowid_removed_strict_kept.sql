-- current
CREATE TABLE s (a TEXT PRIMARY KEY, b INT CHECK (b >= 0)) WITHOUT ROWID, STRICT;
INSERT INTO s VALUES ('x', 1), ('y', 20);
-- desired
CREATE TABLE s (a TEXT PRIMARY KEY, b INT CHECK (b >= 0)) STRICT;
-- expect
alter_table_options s
