-- dialects: postgres
-- refused: 6 an event trigger
CREATE TABLE customers (id INTEGER PRIMARY KEY);
CREATE FUNCTION on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN EXECUTE 'COPY (SELECT 1) TO ''{marker}'''; END $$;
CREATE EVENT TRIGGER hostile ON ddl_command_end EXECUTE FUNCTION on_ddl();
CREATE TABLE later (id int);
