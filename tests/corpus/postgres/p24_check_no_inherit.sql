-- current
CREATE TABLE events (id bigint PRIMARY KEY, kind text);
-- desired
CREATE TABLE events (id bigint PRIMARY KEY, kind text, CONSTRAINT events_kind_parent_only CHECK (kind IS NOT NULL) NO INHERIT);
-- expect
add_check events_kind_parent_only
