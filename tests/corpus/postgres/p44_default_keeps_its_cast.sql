-- current
CREATE TABLE jobs (id int PRIMARY KEY);
INSERT INTO jobs VALUES (1);
-- desired
CREATE TABLE jobs (id int PRIMARY KEY, settings jsonb NOT NULL DEFAULT '{}'::jsonb, every interval DEFAULT '1 day'::interval,
  starts date DEFAULT '2026-01-01'::date, tags text[] DEFAULT '{}'::text[]);
-- expect
add_column jobs.settings
add_column jobs.every
add_column jobs.starts
add_column jobs.tags
