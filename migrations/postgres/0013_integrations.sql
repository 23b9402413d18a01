-- Integrations: bot accounts, API tokens and incoming webhooks.

-- A bot is an account an administrator owns; it has no usable password,
-- so it acts only through tokens and webhooks.
CREATE TABLE bots (
    user_id    BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    owner_id   BIGINT  REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT  NOT NULL
);

-- Bearer tokens for the JSON API. Only a hash of the secret is kept; the
-- selector finds the row. A token limited to a room goes with the room.
CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    selector     TEXT    NOT NULL UNIQUE,
    secret_hash  TEXT    NOT NULL,
    can_read     BOOLEAN NOT NULL,
    can_post     BOOLEAN NOT NULL,
    room_id      BIGINT  REFERENCES rooms(id) ON DELETE CASCADE,
    created_by   BIGINT  REFERENCES users(id) ON DELETE SET NULL,
    created_at   BIGINT  NOT NULL,
    -- Coalesced: written at most once a minute per token.
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- Incoming webhooks: POST /hooks/<token>/ posts into the room as the bot.
CREATE TABLE incoming_hooks (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room_id      BIGINT  NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    bot_id       BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    selector     TEXT    NOT NULL UNIQUE,
    secret_hash  TEXT    NOT NULL,
    created_by   BIGINT  REFERENCES users(id) ON DELETE SET NULL,
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX incoming_hooks_room ON incoming_hooks(room_id);
