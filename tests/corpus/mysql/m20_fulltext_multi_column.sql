-- current
CREATE TABLE articles (id INT PRIMARY KEY, title VARCHAR(200), body TEXT, FULLTEXT KEY ft_articles (title));
-- desired
CREATE TABLE articles (id INT PRIMARY KEY, title VARCHAR(200), body TEXT, FULLTEXT KEY ft_articles (title, body));
-- expect
drop_index ft_articles
add_index ft_articles
