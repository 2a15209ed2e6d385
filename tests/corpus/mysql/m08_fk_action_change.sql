-- current
CREATE TABLE c (id INT PRIMARY KEY);
CREATE TABLE o (id INT PRIMARY KEY, c_id INT, CONSTRAINT o_c_fk FOREIGN KEY (c_id) REFERENCES c (id));
-- desired
CREATE TABLE c (id INT PRIMARY KEY);
CREATE TABLE o (id INT PRIMARY KEY, c_id INT, CONSTRAINT o_c_fk FOREIGN KEY (c_id) REFERENCES c (id) ON DELETE CASCADE);
-- expect
drop_foreign_key o_c_fk
add_foreign_key o_c_fk
