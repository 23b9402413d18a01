-- Throttles shared by every node: one row per key (a login name, an
-- address, a member), holding its theoretical arrival time in microseconds
-- (GCRA). Used on PostgreSQL, where several nodes share the limits; a
-- single SQLite server keeps its throttles in memory. Rows whose time has
-- passed mean the same as no row and are swept.
CREATE TABLE throttle (
    key TEXT PRIMARY KEY,
    tat INTEGER NOT NULL
);
