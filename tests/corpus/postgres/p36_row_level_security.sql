-- current
CREATE TABLE notes (id int PRIMARY KEY, owner text NOT NULL, body text);
CREATE TABLE audit (id int PRIMARY KEY, actor text);
ALTER TABLE audit ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_read ON notes FOR SELECT USING (true);
CREATE POLICY notes_legacy ON notes USING (true);
-- desired
CREATE TABLE notes (id int PRIMARY KEY, owner text NOT NULL, body text);
CREATE TABLE audit (id int PRIMARY KEY, actor text);
CREATE TABLE shares (id int PRIMARY KEY, note_id int REFERENCES notes (id), grantee text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
ALTER TABLE shares ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_read ON notes FOR SELECT USING (owner = current_user OR EXISTS (SELECT 1 FROM shares s WHERE s.note_id = notes.id AND s.grantee = current_user));
CREATE POLICY notes_write ON notes AS RESTRICTIVE FOR UPDATE USING (owner = current_user) WITH CHECK (owner = current_user);
CREATE POLICY shares_own ON shares FOR ALL TO PUBLIC USING (grantee = current_user);
-- expect
add_table shares
enable_row_security notes
enable_row_security shares
alter_policy notes.notes_read
add_policy notes.notes_write
add_policy shares.shares_own
production_only audit row_security
production_only notes.notes_legacy policy
