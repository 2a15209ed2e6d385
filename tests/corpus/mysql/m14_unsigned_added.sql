-- current
CREATE TABLE counters (id INT PRIMARY KEY, hits INT NOT NULL DEFAULT 0);
INSERT INTO counters VALUES (1, 42);
-- desired
CREATE TABLE counters (id INT PRIMARY KEY, hits INT UNSIGNED NOT NULL DEFAULT 0);
-- expect
alter_column counters.hits type
