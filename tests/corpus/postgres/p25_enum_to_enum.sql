-- current
CREATE TYPE order_state AS ENUM ('new', 'paid');
CREATE TYPE order_state_v2 AS ENUM ('new', 'paid', 'refunded');
CREATE TABLE orders (id bigint PRIMARY KEY, state order_state);
INSERT INTO orders VALUES (1, 'paid');
-- desired
CREATE TYPE order_state AS ENUM ('new', 'paid');
CREATE TYPE order_state_v2 AS ENUM ('new', 'paid', 'refunded');
CREATE TABLE orders (id bigint PRIMARY KEY, state order_state_v2);
-- expect
alter_column orders.state type
