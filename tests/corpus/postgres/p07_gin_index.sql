-- current
CREATE TABLE docs (id int PRIMARY KEY, tags text[]);
-- desired
CREATE TABLE docs (id int PRIMARY KEY, tags text[]);
CREATE INDEX ix_tags ON docs USING gin (tags);
-- expect
add_index ix_tags
