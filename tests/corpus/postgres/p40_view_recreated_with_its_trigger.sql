-- current
CREATE TABLE notes (id int PRIMARY KEY, body text, hidden boolean NOT NULL DEFAULT false);
CREATE FUNCTION notes_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO notes (id, body) VALUES (NEW.id, NEW.body); RETURN NEW; END; $$;
CREATE VIEW visible_notes AS SELECT id, body, hidden FROM notes WHERE NOT hidden;
CREATE TRIGGER visible_notes_insert INSTEAD OF INSERT ON visible_notes FOR EACH ROW EXECUTE FUNCTION notes_insert();
-- desired
CREATE TABLE notes (id int PRIMARY KEY, body text, hidden boolean NOT NULL DEFAULT false);
CREATE FUNCTION notes_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO notes (id, body) VALUES (NEW.id, NEW.body); RETURN NEW; END; $$;
CREATE VIEW visible_notes AS SELECT id, body FROM notes WHERE NOT hidden;
CREATE TRIGGER visible_notes_insert INSTEAD OF INSERT ON visible_notes FOR EACH ROW EXECUTE FUNCTION notes_insert();
-- expect
alter_view visible_notes
