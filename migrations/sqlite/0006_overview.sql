-- The administrator's overview: roll-ups kept by triggers as messages come
-- and go, so the page sums a few thousand small rows instead of scanning
-- messages. Triggers, rather than code on the posting path, keep them true
-- on every path that writes messages (group commit, one by one, clearing
-- or deleting a room, the command line).

-- Messages per room per UTC day (created_at / 86400): the daily charts.
CREATE TABLE activity_days (
    day      INTEGER NOT NULL,
    room_id  INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    messages INTEGER NOT NULL,
    PRIMARY KEY (day, room_id)
) WITHOUT ROWID;
CREATE INDEX activity_days_room ON activity_days(room_id);

-- Messages per room per UTC hour (created_at / 3600): the heat map sums
-- them per hour, in key order, then folds the hours onto the week. Per
-- room, as the days are, so that posts to different rooms never wait on
-- one shared row (PostgreSQL holds a row lock until commit).
CREATE TABLE activity_hours (
    hour     INTEGER NOT NULL,
    room_id  INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    messages INTEGER NOT NULL,
    PRIMARY KEY (hour, room_id)
) WITHOUT ROWID;
CREATE INDEX activity_hours_room ON activity_hours(room_id);

-- Messages per author per UTC day (created_at / 86400): who wrote each week.
CREATE TABLE activity_writers (
    day      INTEGER NOT NULL,
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    messages INTEGER NOT NULL,
    PRIMARY KEY (day, user_id)
) WITHOUT ROWID;

-- Files kept with the messages of each room, and their bytes.
CREATE TABLE room_files (
    room_id INTEGER PRIMARY KEY REFERENCES rooms(id) ON DELETE CASCADE,
    files   INTEGER NOT NULL,
    bytes   INTEGER NOT NULL
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

CREATE TRIGGER messages_activity_in AFTER INSERT ON messages
BEGIN
    INSERT INTO activity_days (day, room_id, messages)
        VALUES (NEW.created_at / 86400, NEW.room_id, 1)
        ON CONFLICT (day, room_id) DO UPDATE SET messages = messages + 1;
    INSERT INTO activity_hours (hour, room_id, messages)
        VALUES (NEW.created_at / 3600, NEW.room_id, 1)
        ON CONFLICT (hour, room_id) DO UPDATE SET messages = messages + 1;
    INSERT INTO activity_writers (day, user_id, messages)
        VALUES (NEW.created_at / 86400, NEW.user_id, 1)
        ON CONFLICT (day, user_id) DO UPDATE SET messages = messages + 1;
END;

CREATE TRIGGER messages_activity_out AFTER DELETE ON messages
BEGIN
    UPDATE activity_days SET messages = messages - 1
        WHERE day = OLD.created_at / 86400 AND room_id = OLD.room_id;
    UPDATE activity_hours SET messages = messages - 1
        WHERE hour = OLD.created_at / 3600 AND room_id = OLD.room_id;
    UPDATE activity_writers SET messages = messages - 1
        WHERE day = OLD.created_at / 86400 AND user_id = OLD.user_id;
END;

CREATE TRIGGER messages_files_in AFTER INSERT ON messages WHEN NEW.file_key IS NOT NULL
BEGIN
    INSERT INTO room_files (room_id, files, bytes)
        VALUES (NEW.room_id, 1, COALESCE(NEW.file_size, 0))
        ON CONFLICT (room_id) DO UPDATE SET files = files + 1, bytes = bytes + excluded.bytes;
END;

CREATE TRIGGER messages_files_out AFTER DELETE ON messages WHEN OLD.file_key IS NOT NULL
BEGIN
    UPDATE room_files SET files = files - 1, bytes = bytes - COALESCE(OLD.file_size, 0)
        WHERE room_id = OLD.room_id;
END;

-- A file taken off (or put on) a stored message.
CREATE TRIGGER messages_files_change AFTER UPDATE OF file_key, file_size ON messages
BEGIN
    UPDATE room_files SET files = files - 1, bytes = bytes - COALESCE(OLD.file_size, 0)
        WHERE room_id = OLD.room_id AND OLD.file_key IS NOT NULL;
    INSERT INTO room_files (room_id, files, bytes)
        SELECT NEW.room_id, 1, COALESCE(NEW.file_size, 0) WHERE NEW.file_key IS NOT NULL
        ON CONFLICT (room_id) DO UPDATE SET files = files + 1, bytes = bytes + excluded.bytes;
END;

-- When an alert e-mail last failed, and why (last_error is also where a
-- cancelled alert's reason goes).
ALTER TABLE outbox ADD COLUMN failed_at INTEGER;
ALTER TABLE outbox ADD COLUMN failure TEXT;
CREATE INDEX outbox_failed ON outbox(failed_at) WHERE failed_at IS NOT NULL;
CREATE INDEX outbox_pending ON outbox(created_at) WHERE status = 'pending';

-- Server nodes say they are alive every half minute.
CREATE TABLE nodes (
    id         INTEGER PRIMARY KEY,
    version    TEXT    NOT NULL,
    started_at INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL
);
