-- E-mail alerts: an optional per-user alert address and a durable outbox.
ALTER TABLE users ADD COLUMN alert_email TEXT;

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at       INTEGER NOT NULL,
    -- Not before this time (MAIL_ALERT_DELAY); retries move next_attempt_at.
    send_after       INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    room_id          INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The first message the member missed: the digest starts here.
    first_message_id INTEGER NOT NULL,
    recipient        TEXT    NOT NULL,
    -- pending, sent or cancelled.
    status           TEXT    NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    -- A node sending this row holds it until then, so nodes never send twice.
    claimed_until    INTEGER,
    sent_at          INTEGER
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
