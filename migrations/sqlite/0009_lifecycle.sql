-- Message lifecycle: edits, deletions, replies and reactions.

-- Every event of a room (a new message, or a change to one) takes the
-- room's next position, so a run of consecutive positions is known to be
-- complete: live streams and the in-memory window of recent messages tell
-- a gap from an empty room by it (store/sql/messages.rs).
ALTER TABLE rooms ADD COLUMN last_pos INTEGER NOT NULL DEFAULT 0;
UPDATE rooms SET last_pos = last_seq;

-- The position of the message's latest event; NULL on rows stored before
-- this migration, whose position is their seq.
ALTER TABLE messages ADD COLUMN pos INTEGER;
-- The message's place in the clients' cursor order (`last`, `Last-Event-ID`)
-- since its latest change: a fresh number from the message id sequence,
-- so it sorts among new messages' ids. NULL while unchanged: the id stands.
ALTER TABLE messages ADD COLUMN rev INTEGER;
-- When the text was last edited, and when the message was deleted (a
-- deleted message keeps its row as a tombstone, its text blanked).
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
-- The message this one answers (same room), if any.
ALTER TABLE messages ADD COLUMN reply_to INTEGER;
-- Who reacted with what, as shown: JSON `[["👍", ["ann", "bo"]], …]`, kept
-- from the reactions table in the same transaction, so reading a message
-- needs no join.
ALTER TABLE messages ADD COLUMN reactions TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_room_rev ON messages(room_id, rev) WHERE rev IS NOT NULL;

-- Previous versions of edited messages, for moderation; removed with the
-- message's text when it is deleted.
CREATE TABLE message_edits (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    -- When this version was replaced.
    replaced_at INTEGER NOT NULL,
    content    TEXT    NOT NULL
);
CREATE INDEX message_edits_message ON message_edits(message_id, id);

-- One row per (message, member, emoji): a repeated or concurrent "add"
-- cannot count twice.
CREATE TABLE reactions (
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    emoji      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
);

-- Posting hands out a room's seq and position; this keeps both counters
-- in step inside the same transaction (replaces 0004's trigger).
DROP TRIGGER messages_last_seq;
CREATE TRIGGER messages_last_seq AFTER INSERT ON messages
BEGIN
    UPDATE rooms SET last_seq = MAX(last_seq, NEW.seq),
        last_pos = MAX(last_pos, COALESCE(NEW.pos, last_pos + 1))
        WHERE id = NEW.room_id;
END;
