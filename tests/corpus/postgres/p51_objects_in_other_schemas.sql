-- current
CREATE SCHEMA app;
CREATE TABLE users (id int PRIMARY KEY, email text);
CREATE TABLE app.users (id int PRIMARY KEY, login text);
CREATE TABLE app.legacy (id int PRIMARY KEY);
-- desired
CREATE SCHEMA app;
CREATE SCHEMA billing;
SET search_path = app, public;
CREATE TYPE app.mood AS ENUM ('ok', 'meh');
CREATE DOMAIN app.positive AS integer CHECK (VALUE > 0);
CREATE TYPE app.money2 AS (amount numeric(12,2), currency char(3));
CREATE SEQUENCE app.ticket_no START 100;
CREATE TABLE public.users (id int PRIMARY KEY, email text NOT NULL DEFAULT '');
CREATE TABLE app.users (id int PRIMARY KEY, login text, mood app.mood, visits app.positive);
CREATE INDEX users_login ON app.users (login);
CREATE TABLE billing.invoices (
    id serial PRIMARY KEY,
    user_id int NOT NULL REFERENCES public.users (id),
    app_user int REFERENCES app.users (id),
    ticket bigint DEFAULT nextval('app.ticket_no'),
    total app.money2
);
COMMENT ON TABLE billing.invoices IS 'one per order';
COMMENT ON COLUMN app.users.login IS 'the login name';
CREATE FUNCTION billing.invoice_count(u int) RETURNS bigint LANGUAGE sql STABLE
    RETURN (SELECT count(*) FROM billing.invoices i WHERE i.user_id = u);
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.login := lower(NEW.login); RETURN NEW; END$$;
CREATE TRIGGER users_touch BEFORE INSERT ON app.users FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE VIEW billing.user_totals AS SELECT u.id, u.login, billing.invoice_count(u.id) AS n FROM app.users u;
CREATE VIEW public.report AS SELECT t.id, t.n FROM billing.user_totals t;
ALTER TABLE billing.invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoices_own ON billing.invoices USING (user_id > 0);
GRANT SELECT ON billing.user_totals TO PUBLIC;
-- expect
add_schema billing
add_enum app.mood
add_domain app.positive
add_composite_type app.money2
add_sequence app.ticket_no
add_function app.touch()
add_table billing.invoices
add_function billing.invoice_count(u integer)
add_column app.users.mood
add_column app.users.visits
add_index users_login
alter_column users.email default,nullable
add_view billing.user_totals
add_view report
enable_row_security billing.invoices
add_policy billing.invoices.invoices_own
add_grant billing.user_totals to public
add_trigger users_touch
set_comment app.users.login
set_comment billing.invoices
production_only app.legacy table
