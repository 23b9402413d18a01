-- The throttle's rows are moved on every send, login and upload, and a
-- commit that wrote to a logged table waits for the disk. Throttle state is
-- worth nothing after a crash (the rows only delay a client for seconds),
-- so the table is unlogged: its writes make no WAL and their commits do not
-- wait for a flush. After a crash or on a promoted standby it is empty,
-- which lets every key through once more.
ALTER TABLE throttle SET UNLOGGED;
