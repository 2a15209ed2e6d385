-- dialects: sqlite postgres mysql
-- tables: customers schema_migrations
CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL);
CREATE TABLE schema_migrations (version VARCHAR(20) NOT NULL PRIMARY KEY);
INSERT INTO schema_migrations (version) VALUES
('20240101000000'),
('20240202000000');
