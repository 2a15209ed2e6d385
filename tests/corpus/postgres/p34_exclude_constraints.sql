-- current
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE bookings (id int PRIMARY KEY, room int NOT NULL, during tstzrange NOT NULL,
  CONSTRAINT bookings_no_overlap EXCLUDE USING gist (during WITH &&));
CREATE TABLE shifts (id int PRIMARY KEY, during tsrange, CONSTRAINT shifts_legacy EXCLUDE USING gist (during WITH &&));
-- desired
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE bookings (id int PRIMARY KEY, room int NOT NULL, during tstzrange NOT NULL,
  CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room WITH =, during WITH &&));
CREATE TABLE shifts (id int PRIMARY KEY, during tsrange);
CREATE TABLE rentals (id int PRIMARY KEY, car int, during daterange,
  CONSTRAINT rentals_car_overlap EXCLUDE USING gist (car WITH =, during WITH &&) WHERE (car IS NOT NULL));
-- expect
add_table rentals
drop_exclude bookings_no_overlap
add_exclude bookings_no_overlap
production_only shifts_legacy exclude
