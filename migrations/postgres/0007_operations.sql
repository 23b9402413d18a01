-- Throttles shared by every node: one row per key (a login name, an
-- address, a member), holding its theoretical arrival time in microseconds
-- (GCRA). Rows whose time has passed mean the same as no row and are swept.
CREATE TABLE throttle (
    key TEXT PRIMARY KEY,
    tat BIGINT NOT NULL
);
