-- current
CREATE TABLE tags (name TEXT NOT NULL COLLATE NOCASE PRIMARY KEY, uses INT NOT NULL DEFAULT 0, CHECK (uses >= 0)) WITHOUT ROWID;
INSERT INTO tags VALUES ('Red', 2), ('blue', 0);
-- desired
CREATE TABLE tags (name TEXT NOT NULL PRIMARY KEY, uses INT NOT NULL DEFAULT 0, CHECK (uses >= 0)) WITHOUT ROWID;
-- expect
alter_column tags.name collation
