-- current
CREATE TABLE memberships (user_id INT NOT NULL, group_id INT NOT NULL, role TEXT, PRIMARY KEY (user_id));
INSERT INTO memberships VALUES (1, 10, 'owner');
-- desired
CREATE TABLE memberships (user_id INT NOT NULL, group_id INT NOT NULL, role TEXT, PRIMARY KEY (user_id, group_id));
-- expect
alter_primary_key memberships
