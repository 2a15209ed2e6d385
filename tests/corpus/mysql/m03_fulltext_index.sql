-- current
CREATE TABLE docs (id INT PRIMARY KEY, body TEXT);
-- desired
CREATE TABLE docs (id INT PRIMARY KEY, body TEXT);
CREATE FULLTEXT INDEX ft_body ON docs (body);
-- expect
add_index ft_body
