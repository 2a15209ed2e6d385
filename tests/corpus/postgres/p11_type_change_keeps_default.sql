-- current
CREATE TABLE t (id int PRIMARY KEY, status varchar(20) NOT NULL DEFAULT 'new');
INSERT INTO t VALUES (1, 'old');
-- desired
CREATE TABLE t (id int PRIMARY KEY, status text NOT NULL DEFAULT 'new');
-- expect
alter_column t.status type
