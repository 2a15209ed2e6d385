-- current
CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL DEFAULT 0, owner text);
CREATE FUNCTION audit_balance() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END; $$;
CREATE TRIGGER balance_changed AFTER UPDATE ON accounts FOR EACH ROW WHEN (OLD.balance IS DISTINCT FROM NEW.balance) EXECUTE FUNCTION audit_balance();
CREATE TRIGGER balance_updated AFTER UPDATE OF balance ON accounts FOR EACH ROW EXECUTE FUNCTION audit_balance();
CREATE TRIGGER owner_updated AFTER UPDATE OF owner ON accounts FOR EACH ROW EXECUTE FUNCTION audit_balance();
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY in_credit ON accounts FOR SELECT USING (balance >= 0);
INSERT INTO accounts VALUES (1, 10, 'a');
-- desired
CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL DEFAULT 0, owner text);
CREATE FUNCTION audit_balance() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END; $$;
CREATE TRIGGER balance_changed AFTER UPDATE ON accounts FOR EACH ROW WHEN (OLD.balance IS DISTINCT FROM NEW.balance) EXECUTE FUNCTION audit_balance();
CREATE TRIGGER balance_updated AFTER UPDATE OF balance ON accounts FOR EACH ROW EXECUTE FUNCTION audit_balance();
CREATE TRIGGER owner_updated AFTER UPDATE OF owner ON accounts FOR EACH ROW EXECUTE FUNCTION audit_balance();
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY in_credit ON accounts FOR SELECT USING (balance >= 0);
-- expect
alter_column accounts.balance type
