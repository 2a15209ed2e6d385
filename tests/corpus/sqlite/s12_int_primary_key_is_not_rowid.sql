-- current
CREATE TABLE tags (id INT PRIMARY KEY, label TEXT NOT NULL);
INSERT INTO tags VALUES (1, 'red'), (2, 'blue');
-- desired
CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
-- expect
alter_column tags.id nullable,type
