-- E-mail alerts: an optional per-user alert address and a durable outbox.
ALTER TABLE users ADD COLUMN alert_email TEXT;

CREATE TABLE outbox (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at       BIGINT  NOT NULL,
    send_after       BIGINT  NOT NULL,
    next_attempt_at  BIGINT  NOT NULL,
    room_id          BIGINT  NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    user_id          BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    first_message_id BIGINT  NOT NULL,
    recipient        TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending',
    attempts         BIGINT  NOT NULL DEFAULT 0,
    last_error       TEXT,
    claimed_until    BIGINT,
    sent_at          BIGINT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
