-- current
CREATE TABLE readings (id INTEGER PRIMARY KEY, sensor TEXT NOT NULL, value REAL);
INSERT INTO readings (sensor, value) VALUES ('t1', 20.5), ('t2', 19.0);
-- desired
CREATE TABLE readings (id INTEGER PRIMARY KEY, sensor TEXT NOT NULL, value REAL) STRICT;
-- expect
alter_table_options readings
