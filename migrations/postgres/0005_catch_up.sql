-- Catch-up: each member's read cursor and notification level, who a message
-- mentions, and a bounded history of notification decisions.

-- The newest message the member has read, and that message's seq: a room's
-- unread count is rooms.last_seq - read_seq, without counting rows.
ALTER TABLE members ADD COLUMN last_read BIGINT NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN read_seq BIGINT NOT NULL DEFAULT 0;
-- all, mentions or none.
ALTER TABLE members ADD COLUMN notify TEXT NOT NULL DEFAULT 'all';
-- Existing members start with everything read, not with the whole history unread.
UPDATE members SET
    read_seq = (SELECT last_seq FROM rooms WHERE rooms.id = members.room_id),
    last_read = COALESCE((SELECT MAX(id) FROM messages WHERE messages.room_id = members.room_id), 0);

-- The usernames a message mentions, space-separated, as they were when it was sent.
ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '';

-- One row per member a message mentions: mention counts and is:mention.
CREATE TABLE mentions (
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    room_id    BIGINT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, room_id, message_id)
);
CREATE INDEX mentions_message ON mentions(message_id);

-- What was decided about notifying a member of a message, per channel:
-- shown on the member's notification page; pruned to the newest per user.
CREATE TABLE notifications (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         BIGINT NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    room_id    BIGINT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    message_id BIGINT NOT NULL,
    -- email or browser.
    channel    TEXT    NOT NULL,
    -- sent, held or skipped.
    outcome    TEXT    NOT NULL,
    -- Held until then.
    until      BIGINT,
    reason     TEXT    NOT NULL
);
CREATE INDEX notifications_user ON notifications(user_id, id);
