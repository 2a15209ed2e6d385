-- current
CREATE TABLE events (id INTEGER PRIMARY KEY, n INT DEFAULT (0), ratio REAL DEFAULT +1.5, day TEXT DEFAULT (date('now')), at TEXT DEFAULT (CURRENT_TIMESTAMP), note TEXT DEFAULT NULL);
-- desired
CREATE TABLE events (id INTEGER PRIMARY KEY, n INT DEFAULT 0, ratio REAL DEFAULT 1.5, day TEXT DEFAULT (DATE( 'now' )), at TEXT DEFAULT current_timestamp, note TEXT);
-- expect
