-- The administrator's overview: roll-ups kept by triggers as messages come
-- and go, so the page sums a few thousand small rows instead of scanning
-- messages. Triggers, rather than code on the posting path, keep them true
-- on every path that writes messages (posting, clearing or deleting a
-- room, the command line). Removals are counted once per statement, from
-- its transition table, so clearing a large room stays one pass.

-- Messages per room per UTC day (created_at / 86400): the daily charts.
CREATE TABLE activity_days (
    day      BIGINT NOT NULL,
    room_id  BIGINT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    messages BIGINT NOT NULL,
    PRIMARY KEY (day, room_id)
);
CREATE INDEX activity_days_room ON activity_days(room_id);

-- Messages per room per UTC hour (created_at / 3600): the heat map. Per
-- room, so that posts to different rooms never wait on one shared row.
CREATE TABLE activity_hours (
    hour     BIGINT NOT NULL,
    room_id  BIGINT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    messages BIGINT NOT NULL,
    PRIMARY KEY (hour, room_id)
);
CREATE INDEX activity_hours_room ON activity_hours(room_id);

-- Messages per author per UTC day (created_at / 86400).
CREATE TABLE activity_writers (
    day      BIGINT NOT NULL,
    user_id  BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    messages BIGINT NOT NULL,
    PRIMARY KEY (day, user_id)
);

-- Files kept with the messages of each room, and their bytes.
CREATE TABLE room_files (
    room_id BIGINT PRIMARY KEY REFERENCES rooms(id) ON DELETE CASCADE,
    files   BIGINT NOT NULL,
    bytes   BIGINT NOT NULL
);

INSERT INTO activity_days (day, room_id, messages)
    SELECT created_at / 86400, room_id, COUNT(*) FROM messages GROUP BY 1, 2;
INSERT INTO activity_hours (hour, room_id, messages)
    SELECT created_at / 3600, room_id, COUNT(*) FROM messages GROUP BY 1, 2;
INSERT INTO activity_writers (day, user_id, messages)
    SELECT created_at / 86400, user_id, COUNT(*) FROM messages GROUP BY 1, 2;
INSERT INTO room_files (room_id, files, bytes)
    SELECT room_id, COUNT(*), COALESCE(SUM(file_size), 0) FROM messages
    WHERE file_key IS NOT NULL GROUP BY room_id;

CREATE FUNCTION activity_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO activity_days (day, room_id, messages)
        VALUES (NEW.created_at / 86400, NEW.room_id, 1)
        ON CONFLICT (day, room_id) DO UPDATE SET messages = activity_days.messages + 1;
    INSERT INTO activity_hours (hour, room_id, messages)
        VALUES (NEW.created_at / 3600, NEW.room_id, 1)
        ON CONFLICT (hour, room_id) DO UPDATE SET messages = activity_hours.messages + 1;
    INSERT INTO activity_writers (day, user_id, messages)
        VALUES (NEW.created_at / 86400, NEW.user_id, 1)
        ON CONFLICT (day, user_id) DO UPDATE SET messages = activity_writers.messages + 1;
    IF NEW.file_key IS NOT NULL THEN
        INSERT INTO room_files (room_id, files, bytes)
            VALUES (NEW.room_id, 1, COALESCE(NEW.file_size, 0))
            ON CONFLICT (room_id) DO UPDATE
            SET files = room_files.files + 1, bytes = room_files.bytes + excluded.bytes;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER messages_activity_in AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION activity_in();

CREATE FUNCTION activity_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE activity_days a SET messages = a.messages - g.n
        FROM (SELECT created_at / 86400 AS day, room_id, COUNT(*) AS n
              FROM gone GROUP BY 1, 2) g
        WHERE a.day = g.day AND a.room_id = g.room_id;
    UPDATE activity_hours a SET messages = a.messages - g.n
        FROM (SELECT created_at / 3600 AS hour, room_id, COUNT(*) AS n
              FROM gone GROUP BY 1, 2) g
        WHERE a.hour = g.hour AND a.room_id = g.room_id;
    UPDATE activity_writers a SET messages = a.messages - g.n
        FROM (SELECT created_at / 86400 AS day, user_id, COUNT(*) AS n
              FROM gone GROUP BY 1, 2) g
        WHERE a.day = g.day AND a.user_id = g.user_id;
    UPDATE room_files f SET files = f.files - g.n, bytes = f.bytes - g.b
        FROM (SELECT room_id, COUNT(*) AS n, COALESCE(SUM(file_size), 0) AS b
              FROM gone WHERE file_key IS NOT NULL GROUP BY 1) g
        WHERE f.room_id = g.room_id;
    RETURN NULL;
END $$;

CREATE TRIGGER messages_activity_out AFTER DELETE ON messages
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION activity_out();

-- A file taken off (or put on) a stored message.
CREATE FUNCTION activity_files_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.file_key IS NOT NULL THEN
        UPDATE room_files SET files = files - 1, bytes = bytes - COALESCE(OLD.file_size, 0)
            WHERE room_id = OLD.room_id;
    END IF;
    IF NEW.file_key IS NOT NULL THEN
        INSERT INTO room_files (room_id, files, bytes)
            VALUES (NEW.room_id, 1, COALESCE(NEW.file_size, 0))
            ON CONFLICT (room_id) DO UPDATE
            SET files = room_files.files + 1, bytes = room_files.bytes + excluded.bytes;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER messages_files_change AFTER UPDATE OF file_key, file_size ON messages
    FOR EACH ROW EXECUTE FUNCTION activity_files_change();

-- When an alert e-mail last failed, and why (last_error is also where a
-- cancelled alert's reason goes).
ALTER TABLE outbox ADD COLUMN failed_at BIGINT;
ALTER TABLE outbox ADD COLUMN failure TEXT;
CREATE INDEX outbox_failed ON outbox(failed_at) WHERE failed_at IS NOT NULL;
CREATE INDEX outbox_pending ON outbox(created_at) WHERE status = 'pending';

-- Server nodes say they are alive every half minute.
CREATE TABLE nodes (
    id         BIGINT PRIMARY KEY,
    version    TEXT   NOT NULL,
    started_at BIGINT NOT NULL,
    seen_at    BIGINT NOT NULL
);
