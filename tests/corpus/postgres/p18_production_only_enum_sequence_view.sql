-- current
CREATE TYPE legacy_kind AS ENUM ('a');
CREATE SEQUENCE legacy_seq;
CREATE TABLE t (id int PRIMARY KEY);
CREATE VIEW legacy_v AS SELECT id FROM t;
-- desired
CREATE TABLE t (id int PRIMARY KEY);
-- expect
production_only legacy_kind enum
production_only legacy_seq sequence
production_only legacy_v view
