-- current
CREATE TABLE m (a TEXT PRIMARY KEY, b INT, c INT AS (b + 1)) WITHOUT ROWID;
INSERT INTO m (a, b) VALUES ('x', 1), ('y', 2);
-- desired
CREATE TABLE m (a TEXT PRIMARY KEY, b INT, c INT AS (b + 2)) WITHOUT ROWID;
-- expect
alter_column m.c generated
