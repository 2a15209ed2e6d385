-- current
CREATE TABLE o (id int PRIMARY KEY, total int);
CREATE VIEW big AS SELECT id FROM o WHERE total > 100;
-- desired
CREATE TABLE o (id int PRIMARY KEY, total int);
CREATE VIEW big AS SELECT id, total FROM o WHERE total > 1000;
-- expect
alter_view big
