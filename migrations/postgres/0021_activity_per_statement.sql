-- The activity counts (migration 0006) are kept by one trigger run per
-- INSERT statement instead of one per row. Group commit stores a batch of
-- messages with one INSERT while holding its room's row lock; the per-row
-- trigger ran three upserts for every message, each writing a new version
-- of the same few counter rows, and every node's posts to the room waited
-- for them. Now each counter row is written once per batch.
--
-- Lock order (see `store/postgres/bulk.rs`): the per-writer counts are
-- upserted in (day, user_id) order, as the rows used to go in.

CREATE FUNCTION activity_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO activity_days (day, room_id, messages)
        SELECT created_at / 86400, room_id, COUNT(*) FROM added
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (day, room_id) DO UPDATE
        SET messages = activity_days.messages + excluded.messages;
    INSERT INTO activity_hours (hour, room_id, messages)
        SELECT created_at / 3600, room_id, COUNT(*) FROM added
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (hour, room_id) DO UPDATE
        SET messages = activity_hours.messages + excluded.messages;
    INSERT INTO activity_writers (day, user_id, messages)
        SELECT created_at / 86400, user_id, COUNT(*) FROM added
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (day, user_id) DO UPDATE
        SET messages = activity_writers.messages + excluded.messages;
    INSERT INTO room_files (room_id, files, bytes)
        SELECT room_id, COUNT(*), COALESCE(SUM(file_size), 0) FROM added
        WHERE file_key IS NOT NULL
        GROUP BY 1 ORDER BY 1
        ON CONFLICT (room_id) DO UPDATE
        SET files = room_files.files + excluded.files,
            bytes = room_files.bytes + excluded.bytes;
    RETURN NULL;
END $$;

DROP TRIGGER messages_activity_in ON messages;
DROP FUNCTION activity_in();

CREATE TRIGGER messages_activity_in AFTER INSERT ON messages
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION activity_added();
