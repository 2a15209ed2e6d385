-- current
CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT);
CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES posts (id), body TEXT);
INSERT INTO posts VALUES (1, 'hello');
INSERT INTO comments VALUES (1, 1, 'first');
-- desired
CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT);
CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES posts (id) ON DELETE CASCADE, body TEXT);
-- expect
drop_foreign_key comments(post_id) → posts
add_foreign_key comments(post_id) → posts
