-- current
CREATE SCHEMA app;
CREATE SCHEMA report;
CREATE TYPE app.status AS ENUM ('new', 'done');
CREATE DOMAIN app.qty AS integer CHECK (VALUE >= 0);
CREATE TYPE app.dims AS (w int, h int);
CREATE TABLE app.items (id int PRIMARY KEY, name text, price integer, st app.status, n app.qty, size app.dims);
INSERT INTO app.items VALUES (1, 'a', 10, 'new', 1, ROW(1, 2));
CREATE INDEX items_name ON app.items (name);
CREATE FUNCTION app.norm() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.name := trim(NEW.name); RETURN NEW; END$$;
CREATE TRIGGER items_norm BEFORE INSERT ON app.items FOR EACH ROW EXECUTE FUNCTION app.norm();
CREATE VIEW report.prices AS SELECT id, price FROM app.items;
COMMENT ON VIEW report.prices IS 'list prices';
CREATE VIEW report.cheap AS SELECT id FROM report.prices WHERE price < 5;
CREATE MATERIALIZED VIEW report.totals AS SELECT sum(price) AS total FROM app.items;
CREATE INDEX totals_total ON report.totals (total);
ALTER TABLE app.items ENABLE ROW LEVEL SECURITY;
CREATE POLICY items_read ON app.items FOR SELECT USING (true);
CREATE FUNCTION app.label(i int) RETURNS text LANGUAGE sql AS $$SELECT 'item ' || i$$;
-- desired
CREATE SCHEMA app;
CREATE SCHEMA report;
CREATE TYPE app.status AS ENUM ('new', 'open', 'done');
CREATE DOMAIN app.qty AS integer DEFAULT 0 CHECK (VALUE >= 0) CHECK (VALUE < 1000);
CREATE TYPE app.dims AS (w int, h int, d int);
CREATE TABLE app.items (id int PRIMARY KEY, name text, price bigint, st app.status, n app.qty, size app.dims);
CREATE INDEX items_name ON app.items (lower(name));
CREATE FUNCTION app.norm() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.name := trim(NEW.name); RETURN NEW; END$$;
CREATE TRIGGER items_norm BEFORE INSERT OR UPDATE ON app.items FOR EACH ROW EXECUTE FUNCTION app.norm();
CREATE VIEW report.prices AS SELECT id, price FROM app.items;
COMMENT ON VIEW report.prices IS 'list prices';
CREATE VIEW report.cheap AS SELECT id FROM report.prices WHERE price < 5;
CREATE MATERIALIZED VIEW report.totals AS SELECT sum(price) AS total, count(*) AS n FROM app.items;
CREATE INDEX totals_total ON report.totals (total);
CREATE INDEX totals_n ON report.totals (n);
ALTER TABLE app.items ENABLE ROW LEVEL SECURITY;
CREATE POLICY items_read ON app.items FOR SELECT TO pg_monitor USING (price > 0);
CREATE FUNCTION app.label(i int) RETURNS text LANGUAGE sql AS $$SELECT 'item #' || i$$;
-- expect
add_enum_value app.status.open
alter_domain app.qty
alter_composite_type app.dims
alter_function app.label(i integer)
alter_column app.items.price type
drop_index items_name
add_index items_name
alter_view report.totals
alter_policy app.items.items_read
alter_trigger items_norm
