-- The posting statement takes a room's next seq from rooms.last_seq and
-- inserts in one statement; this keeps last_seq in step, inside the same
-- transaction, without a second round trip.
CREATE TRIGGER messages_last_seq AFTER INSERT ON messages
BEGIN
    UPDATE rooms SET last_seq = NEW.seq WHERE id = NEW.room_id AND last_seq < NEW.seq;
END;
