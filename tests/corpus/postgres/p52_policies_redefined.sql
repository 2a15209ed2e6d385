-- current
CREATE TABLE docs (id int PRIMARY KEY, owner text NOT NULL, team text, locked boolean DEFAULT false);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_read ON docs FOR SELECT TO pg_monitor USING (true);
CREATE POLICY docs_team ON docs FOR SELECT USING (team = current_user);
CREATE POLICY docs_write ON docs FOR UPDATE USING (owner = current_user);
CREATE POLICY docs_insert ON docs FOR INSERT WITH CHECK (owner = current_user);
CREATE POLICY docs_kind ON docs FOR DELETE USING (owner = current_user);
CREATE POLICY docs_strict ON docs USING (NOT locked) WITH CHECK (NOT locked);
CREATE POLICY docs_same ON docs FOR SELECT TO pg_monitor, pg_read_all_data USING (id > 0);
-- desired
CREATE TABLE docs (id int PRIMARY KEY, owner text NOT NULL, team text, locked boolean DEFAULT false);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_read ON docs FOR SELECT TO pg_monitor, pg_read_all_data USING (true);
CREATE POLICY docs_team ON docs FOR SELECT USING (team = current_user OR team IS NULL);
CREATE POLICY docs_write ON docs FOR UPDATE USING (owner = current_user) WITH CHECK (owner = current_user AND NOT locked);
CREATE POLICY docs_insert ON docs FOR INSERT WITH CHECK (owner = session_user);
CREATE POLICY docs_kind ON docs FOR ALL USING (owner = current_user);
CREATE POLICY docs_strict ON docs AS RESTRICTIVE USING (NOT locked);
CREATE POLICY docs_same ON docs FOR SELECT TO pg_read_all_data, pg_monitor USING ((id > 0));
-- expect
alter_policy docs.docs_insert
alter_policy docs.docs_kind
alter_policy docs.docs_read
alter_policy docs.docs_strict
alter_policy docs.docs_team
alter_policy docs.docs_write
