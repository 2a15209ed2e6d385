-- dialects: postgres
-- tables: customers orders
\restrict 8f3kTq0FAKEkey
--
-- PostgreSQL database dump (schema only, with owners: what pg_dump writes by default)
--
SET statement_timeout = 0;
SET lock_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET client_min_messages = warning;
SET row_security = off;
SET default_tablespace = '';
SET default_table_access_method = heap;

CREATE FUNCTION public.touch_updated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN NEW.total_cents := coalesce(NEW.total_cents, 0); RETURN NEW; END $$;
ALTER FUNCTION public.touch_updated() OWNER TO app;

CREATE TABLE public.customers (
    id integer NOT NULL,
    email character varying(100) NOT NULL
);
ALTER TABLE public.customers OWNER TO app;

CREATE SEQUENCE public.customers_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE public.customers_id_seq OWNED BY public.customers.id;
ALTER TABLE ONLY public.customers ALTER COLUMN id SET DEFAULT nextval('public.customers_id_seq'::regclass);
SELECT pg_catalog.setval('public.customers_id_seq', 1, false);

CREATE TABLE public.orders (
    id integer NOT NULL,
    customer_id integer NOT NULL,
    total_cents integer
);
ALTER TABLE ONLY public.customers ADD CONSTRAINT customers_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers(id);
CREATE TRIGGER orders_touch BEFORE INSERT ON public.orders FOR EACH ROW EXECUTE FUNCTION public.touch_updated();
COMMENT ON TABLE public.orders IS 'one row per order';

\unrestrict 8f3kTq0FAKEkey
