-- current
CREATE TABLE o (id int PRIMARY KEY, total int);
-- desired
CREATE TABLE o (id int PRIMARY KEY, total int);
CREATE MATERIALIZED VIEW totals AS SELECT sum(total) AS s FROM o;
-- expect
add_view totals
