-- current
CREATE TABLE accounts (id int PRIMARY KEY);
-- desired
CREATE TABLE accounts (id int PRIMARY KEY);
CREATE TABLE payments (id int PRIMARY KEY, account_id int REFERENCES accounts (id), amount numeric NOT NULL);
CREATE FUNCTION balance(a int) RETURNS numeric LANGUAGE sql STABLE BEGIN ATOMIC SELECT coalesce(sum(amount), 0) FROM payments WHERE account_id = a; END;
CREATE VIEW account_balances AS SELECT id, balance(id) AS balance FROM accounts;
CREATE VIEW rich_accounts AS SELECT id FROM account_balances WHERE balance > 1000;
-- expect
add_table payments
add_function balance(a integer)
add_view account_balances
add_view rich_accounts
