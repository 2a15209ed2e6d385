-- current
CREATE TYPE coord AS (lat double precision, lon double precision);
CREATE TYPE place AS (name text, at coord);
CREATE TYPE span AS (lo int, hi int);
CREATE TYPE window_t AS (label text, range span);
CREATE TABLE visits (id int PRIMARY KEY, spot place);
INSERT INTO visits VALUES (1, ROW('home', ROW(1.5, 2.5)));
-- desired
CREATE TYPE coord AS (lat double precision, lon real, alt real);
CREATE TYPE place AS (name text, at coord);
CREATE TYPE span AS (lo bigint, hi bigint);
CREATE TYPE window_t AS (label text, range span);
CREATE TYPE level AS (n int, note text);
CREATE TYPE floor_t AS (lvl level, rooms int);
CREATE TYPE building AS (name text, floors floor_t[], at coord);
CREATE TABLE visits (id int PRIMARY KEY, spot place);
CREATE TABLE sites (id int PRIMARY KEY, b building);
-- expect
add_composite_type level
add_composite_type floor_t
add_composite_type building
alter_composite_type coord
alter_composite_type coord
alter_composite_type span
add_table sites
