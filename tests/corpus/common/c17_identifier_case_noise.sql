-- current
CREATE TABLE orders (ID INTEGER PRIMARY KEY, Total INT, CreatedBy VARCHAR(20));
CREATE INDEX IX_Orders_Total ON orders (Total);
-- desired
create table orders (id integer primary key, total int, createdby varchar(20));
create index ix_orders_total on orders (total);
-- expect
