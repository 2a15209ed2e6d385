-- current
CREATE TABLE accounts (id int PRIMARY KEY, region int NOT NULL);
CREATE TABLE invoices (id int PRIMARY KEY, account_id int REFERENCES accounts (id));
INSERT INTO accounts VALUES (1, 1);
INSERT INTO invoices VALUES (1, 1);
-- desired
CREATE TABLE accounts (id int UNIQUE, region int NOT NULL, PRIMARY KEY (id, region));
CREATE TABLE invoices (id int PRIMARY KEY, account_id int REFERENCES accounts (id));
-- expect
drop_foreign_key invoices_account_id_fkey
alter_primary_key accounts
add_unique accounts_id_key
add_foreign_key invoices_account_id_fkey
