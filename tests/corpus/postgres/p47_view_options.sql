-- current
CREATE TABLE docs (id int PRIMARY KEY, owner text, public boolean);
CREATE VIEW public_docs AS SELECT id, owner FROM docs WHERE public;
CREATE VIEW my_docs WITH (security_barrier, security_invoker) AS SELECT id FROM public_docs WHERE owner = current_user;
CREATE VIEW editable AS SELECT id, public FROM docs WHERE public WITH CASCADED CHECK OPTION;
-- desired
CREATE TABLE docs (id int PRIMARY KEY, owner text, public boolean);
CREATE VIEW public_docs WITH (security_invoker = true) AS SELECT id, owner FROM docs WHERE public;
CREATE VIEW my_docs WITH (security_barrier, security_invoker) AS SELECT id FROM public_docs WHERE owner = current_user;
CREATE VIEW editable AS SELECT id, public FROM docs WHERE public WITH LOCAL CHECK OPTION;
-- expect
alter_view editable
alter_view public_docs
