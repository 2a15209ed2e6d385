-- current
CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT, run_at TEXT);
CREATE INDEX ix_jobs_due ON jobs (run_at) WHERE state = 'queued';
-- desired
CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT, run_at TEXT);
CREATE INDEX ix_jobs_due ON jobs (run_at) WHERE state IN ('queued', 'retry');
-- expect
drop_index ix_jobs_due
add_index ix_jobs_due
