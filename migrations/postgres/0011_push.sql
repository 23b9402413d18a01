-- Web Push: the devices members turned push on for, the notifications
-- waiting to go to them, and how far each room's messages were looked at.

-- One browser's push subscription (RFC 8030 endpoint with its RFC 8291
-- keys), belonging to one user.
CREATE TABLE push_subscriptions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    endpoint     TEXT    NOT NULL UNIQUE,
    -- The browser's P-256 public key and auth secret, base64url.
    p256dh       TEXT    NOT NULL,
    auth         TEXT    NOT NULL,
    -- "Firefox on Android", from the User-Agent when subscribing.
    device       TEXT    NOT NULL,
    -- SHA-256 of the session that subscribed: logging out there removes it.
    session_hash TEXT,
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX push_subscriptions_user ON push_subscriptions(user_id);
CREATE INDEX push_subscriptions_session ON push_subscriptions(session_hash);

-- Notifications to send, one per device and room while pending: later
-- messages of a burst update the pending row instead of adding one.
CREATE TABLE push_outbox (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id  BIGINT  NOT NULL REFERENCES push_subscriptions(id) ON DELETE CASCADE,
    user_id          BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    room_id          BIGINT  NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    created_at       BIGINT  NOT NULL,
    next_attempt_at  BIGINT  NOT NULL,
    first_message_id BIGINT  NOT NULL,
    last_message_id  BIGINT  NOT NULL,
    -- How many messages it tells of, and whether one mentions the member.
    messages         BIGINT  NOT NULL DEFAULT 1,
    mentioned        BOOLEAN NOT NULL DEFAULT FALSE,
    -- pending, sent or cancelled.
    status           TEXT    NOT NULL DEFAULT 'pending',
    attempts         BIGINT  NOT NULL DEFAULT 0,
    last_error       TEXT,
    -- A node sending this row holds it until then, so nodes never send twice.
    claimed_until    BIGINT,
    sent_at          BIGINT
);
CREATE UNIQUE INDEX push_outbox_pending ON push_outbox(subscription_id, room_id)
    WHERE status = 'pending';
CREATE INDEX push_outbox_due ON push_outbox(status, next_attempt_at);

-- The newest message (by the room's seq) each room's push rule has seen.
-- Rooms that exist now start at their newest message: no pushes for history.
CREATE TABLE push_scan (
    room_id     BIGINT  PRIMARY KEY REFERENCES rooms(id) ON DELETE CASCADE,
    scanned_seq BIGINT  NOT NULL
);
INSERT INTO push_scan (room_id, scanned_seq) SELECT id, last_seq FROM rooms;
