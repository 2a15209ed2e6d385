-- current
CREATE TABLE c (id int PRIMARY KEY);
CREATE TABLE o (id int PRIMARY KEY, c_id int CONSTRAINT o_c_fk REFERENCES c (id) ON DELETE CASCADE);
-- desired
CREATE TABLE c (id int PRIMARY KEY);
CREATE TABLE o (id int PRIMARY KEY, c_id int CONSTRAINT o_c_fk REFERENCES c (id) ON DELETE SET NULL);
-- expect
drop_foreign_key o_c_fk
add_foreign_key o_c_fk
