-- current
CREATE TYPE address AS (street text, zip varchar(5));
CREATE TYPE legacy_point AS (x int, y int);
CREATE TYPE label AS (text text, lang text);
CREATE TABLE people (id int PRIMARY KEY, home address);
INSERT INTO people VALUES (1, ROW('Main St', '12345'));
-- desired
CREATE TYPE address AS (street text, zip varchar(5), city text COLLATE "C");
CREATE TYPE label AS (text varchar(200), lang text);
CREATE TYPE money_amount AS (amount numeric(12,2), currency char(3));
CREATE TYPE priced_line AS (sku text, price money_amount, tags label[]);
CREATE TABLE people (id int PRIMARY KEY, home address);
CREATE TABLE orders (id int PRIMARY KEY, person_id int REFERENCES people (id), line priced_line, total money_amount);
-- expect
add_composite_type money_amount
add_composite_type priced_line
alter_composite_type address
alter_composite_type label
add_table orders
production_only legacy_point composite_type
