-- current
CREATE TABLE users (id INTEGER PRIMARY KEY, fullname VARCHAR(80));
-- desired
CREATE TABLE users (id INTEGER PRIMARY KEY, display_name VARCHAR(80));
-- expect
possible_rename users.fullname → display_name
