-- Outgoing webhooks: a bot's URL that hears of the messages meant for it
-- (an @mention in a room it belongs to, any message in a direct room with
-- it), through a durable queue of deliveries.

-- One per bot. The secret signs each delivery, so it is kept as it is
-- (not hashed); it is shown once, when made.
CREATE TABLE outgoing_hooks (
    bot_id          BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    url             TEXT    NOT NULL,
    secret          TEXT    NOT NULL,
    created_by      BIGINT REFERENCES users(id) ON DELETE SET NULL,
    -- Messages from before this are never delivered (set anew with the URL).
    created_at      BIGINT NOT NULL,
    -- The latest attempt, for the administrator: when, and what came of it.
    last_attempt_at BIGINT,
    last_status     BIGINT,
    last_error      TEXT
);

-- One delivery of one message to one bot.
CREATE TABLE outgoing_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bot_id          BIGINT NOT NULL REFERENCES outgoing_hooks(bot_id) ON DELETE CASCADE,
    room_id         BIGINT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    message_id      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    -- pending, sent or failed.
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    -- A node sending this row holds it until then, so nodes never send twice.
    claimed_until   BIGINT,
    sent_at         BIGINT,
    UNIQUE (bot_id, message_id)
);
CREATE INDEX outgoing_deliveries_due ON outgoing_deliveries(status, next_attempt_at);

-- The newest message (by the room's seq) the outgoing scan has seen.
CREATE TABLE outgoing_scan (
    room_id     BIGINT PRIMARY KEY REFERENCES rooms(id) ON DELETE CASCADE,
    scanned_seq BIGINT NOT NULL
);
INSERT INTO outgoing_scan (room_id, scanned_seq) SELECT id, last_seq FROM rooms;
