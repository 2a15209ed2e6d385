-- current
CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
-- desired
CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE ledger (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id), cents INTEGER NOT NULL) STRICT;
-- expect
add_table ledger
