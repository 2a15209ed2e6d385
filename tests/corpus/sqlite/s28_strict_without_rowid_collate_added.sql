-- current
CREATE TABLE readings (sensor TEXT NOT NULL, at INTEGER NOT NULL, value REAL CHECK (value > -100), PRIMARY KEY (sensor, at)) STRICT, WITHOUT ROWID;
INSERT INTO readings VALUES ('T1', 1, 20.5), ('t2', 1, -3.0);
-- desired
CREATE TABLE readings (sensor TEXT NOT NULL COLLATE NOCASE, at INTEGER NOT NULL, value REAL CHECK (value > -100), PRIMARY KEY (sensor, at)) STRICT, WITHOUT ROWID;
-- expect
alter_column readings.sensor collation
