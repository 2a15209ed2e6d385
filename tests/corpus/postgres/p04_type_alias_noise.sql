-- current
CREATE TABLE t (id int4 PRIMARY KEY, name varchar(20) DEFAULT 'x', ok bool DEFAULT true, n int8, f float8, d decimal(10,2), ts timestamp, tz timestamptz);
-- desired
CREATE TABLE t (id integer PRIMARY KEY, name character varying(20) DEFAULT 'x'::character varying, ok boolean DEFAULT TRUE, n bigint, f double precision, d numeric(10,2), ts timestamp without time zone, tz timestamp with time zone);
-- expect
