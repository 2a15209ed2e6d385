-- current
CREATE TABLE s (a TEXT PRIMARY KEY, b INT);
CREATE INDEX ix_s_b ON s (b);
CREATE VIEW big_s AS SELECT a, b FROM s WHERE b > 10;
INSERT INTO s VALUES ('x', 1), ('y', 20);
-- desired
CREATE TABLE s (a TEXT PRIMARY KEY, b INT) WITHOUT ROWID;
CREATE INDEX ix_s_b ON s (b);
CREATE VIEW big_s AS SELECT a, b FROM s WHERE b > 10;
-- expect
alter_column s.a nullable
alter_table_options s
