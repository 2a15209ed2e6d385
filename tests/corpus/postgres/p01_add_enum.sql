-- current
CREATE TABLE t (id int PRIMARY KEY);
-- desired
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE t (id int PRIMARY KEY, m mood);
-- expect
add_enum mood
add_column t.m
