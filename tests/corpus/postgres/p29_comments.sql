-- current
CREATE TABLE accounts (id int PRIMARY KEY, email text, legacy text);
COMMENT ON TABLE accounts IS 'old text';
COMMENT ON COLUMN accounts.legacy IS 'only production says this';
-- desired
CREATE TABLE accounts (id int PRIMARY KEY, email text, legacy text);
COMMENT ON TABLE accounts IS 'Customer''s accounts';
COMMENT ON COLUMN accounts.email IS 'lower-cased at sign-up';
CREATE TABLE notes (id int PRIMARY KEY, body text);
COMMENT ON TABLE notes IS 'free text';
COMMENT ON COLUMN notes.body IS 'markdown';
-- expect
add_table notes
set_comment accounts
set_comment accounts.email
set_comment notes
set_comment notes.body
production_only accounts.legacy comment
