-- current
CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR ( 20 ) NOT NULL DEFAULT ('x'), n INT CHECK(n>0), created TEXT DEFAULT current_timestamp);
-- desired
CREATE TABLE "t" ("id" integer primary key, name varchar(20) not null default 'x', n int check ( n > 0 ), created text default CURRENT_TIMESTAMP);
-- expect
