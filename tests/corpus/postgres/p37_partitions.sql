-- current
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_old PARTITION OF events FOR VALUES FROM ('2000-01-01') TO ('2025-01-01');
CREATE TABLE metrics (id bigint, at date);
-- desired
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE INDEX events_kind ON events (kind);
CREATE TABLE logs (id bigint, tenant int NOT NULL, at timestamptz NOT NULL) PARTITION BY LIST (tenant);
CREATE TABLE logs_t1 PARTITION OF logs FOR VALUES IN (1) PARTITION BY RANGE (at);
CREATE TABLE logs_t1_2026 PARTITION OF logs_t1 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX logs_at ON logs (at);
CREATE TABLE metrics (id bigint, at date) PARTITION BY RANGE (at);
-- expect
add_table logs
add_partition events_2026
add_partition events_default
add_partition logs_t1
add_partition logs_t1_2026
add_index events_kind
alter_partitioning metrics
production_only events_old partition
