-- current
CREATE TABLE accounts (id INTEGER PRIMARY KEY, username TEXT NOT NULL);
INSERT INTO accounts VALUES (1, 'Alice');
-- desired
CREATE TABLE accounts (id INTEGER PRIMARY KEY, username TEXT NOT NULL COLLATE NOCASE);
-- expect
alter_column accounts.username collation
