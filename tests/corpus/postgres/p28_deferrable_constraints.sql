-- current
CREATE TABLE parents (id int PRIMARY KEY, code text CONSTRAINT parents_code_key UNIQUE);
CREATE TABLE children (id int PRIMARY KEY, parent_id int CONSTRAINT children_parent_fk REFERENCES parents (id));
CREATE TABLE slots (pos int CONSTRAINT slots_pkey PRIMARY KEY);
INSERT INTO parents VALUES (1, 'a');
INSERT INTO children VALUES (1, 1);
INSERT INTO slots VALUES (1), (2);
-- desired
CREATE TABLE parents (id int PRIMARY KEY, code text CONSTRAINT parents_code_key UNIQUE DEFERRABLE);
CREATE TABLE children (id int PRIMARY KEY, parent_id int CONSTRAINT children_parent_fk REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE slots (pos int CONSTRAINT slots_pkey PRIMARY KEY DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE audit (id int PRIMARY KEY DEFERRABLE, parent_id int REFERENCES parents (id) DEFERRABLE, note text UNIQUE DEFERRABLE INITIALLY DEFERRED);
-- expect
add_table audit
drop_unique parents_code_key
add_unique parents_code_key
alter_primary_key slots
drop_foreign_key children_parent_fk
add_foreign_key children_parent_fk
