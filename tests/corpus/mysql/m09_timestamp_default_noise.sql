-- current
CREATE TABLE t (id INT PRIMARY KEY, created_at TIMESTAMP NULL DEFAULT NOW(), fk_action_default INT);
-- desired
CREATE TABLE t (id INT PRIMARY KEY, created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP, fk_action_default INT);
-- expect
