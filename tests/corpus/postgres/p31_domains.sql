-- current
CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
CREATE DOMAIN legacy_code AS varchar(10);
CREATE DOMAIN quantity AS integer DEFAULT 0 CONSTRAINT quantity_small CHECK (VALUE < 1000);
CREATE TABLE users (id int PRIMARY KEY, email email);
-- desired
CREATE DOMAIN email AS text NOT NULL CHECK (VALUE ~ '^[^@]+@[^@]+$');
CREATE DOMAIN quantity AS integer DEFAULT 1 CONSTRAINT quantity_positive CHECK (VALUE >= 0);
CREATE DOMAIN positive_money AS numeric(12,2) CHECK (VALUE > 0);
CREATE DOMAIN amount AS positive_money;
CREATE TABLE users (id int PRIMARY KEY, email email);
CREATE TABLE orders (id int PRIMARY KEY, total amount, n quantity NOT NULL);
-- expect
add_domain positive_money
add_domain amount
alter_domain email
alter_domain quantity
add_table orders
production_only quantity.quantity_small domain_check
production_only legacy_code domain
