-- current
CREATE TABLE users (id INT PRIMARY KEY, tenant_id INT NOT NULL, email VARCHAR(120) NOT NULL);
-- desired
CREATE TABLE users (id INT PRIMARY KEY, tenant_id INT NOT NULL, email VARCHAR(120) NOT NULL, UNIQUE KEY uq_users_tenant_email (tenant_id, email));
-- expect
add_index uq_users_tenant_email
