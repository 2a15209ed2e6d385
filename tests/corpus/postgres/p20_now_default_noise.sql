-- catalog: no (now() and CURRENT_TIMESTAMP are the same default, printed differently)
-- current
CREATE TABLE t (id int PRIMARY KEY, created timestamptz DEFAULT now(), status text DEFAULT 'new'::text);
-- desired
CREATE TABLE t (id int PRIMARY KEY, created timestamptz DEFAULT CURRENT_TIMESTAMP, status text DEFAULT 'new');
-- expect
