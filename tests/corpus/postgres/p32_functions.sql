-- current
CREATE FUNCTION slugify(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(t) $$;
CREATE FUNCTION legacy_total() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION fmt(n int) RETURNS text LANGUAGE sql AS $$ SELECT n::text $$;
CREATE TABLE posts (id int PRIMARY KEY, title text);
-- desired
CREATE FUNCTION slugify(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT regexp_replace(lower(t), '[^a-z0-9]+', '-', 'g') $$;
CREATE FUNCTION fmt(n int) RETURNS varchar LANGUAGE sql AS $$ SELECT n::text $$;
CREATE FUNCTION new_code() RETURNS text LANGUAGE sql AS $$ SELECT md5(random()::text) $$;
CREATE TABLE posts (id int PRIMARY KEY, title text);
CREATE TABLE tags (id int PRIMARY KEY, code text DEFAULT new_code(), post_id int REFERENCES posts (id));
CREATE FUNCTION post_count() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM tags $$;
CREATE PROCEDURE archive_posts(before int) LANGUAGE sql AS $$ DELETE FROM posts WHERE id < before $$;
-- expect
add_function archive_posts(IN before integer)
alter_function fmt(n integer)
add_function new_code()
alter_function slugify(t text)
add_table tags
add_function post_count()
production_only legacy_total() function
