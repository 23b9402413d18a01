-- Conversate schema, PostgreSQL dialect. Times are Unix seconds (BIGINT),
-- as in the SQLite schema, so both backends hand out the same values.
--
-- Text that the store sorts by is declared COLLATE "C": SQLite compares
-- bytes, and this keeps the order the same whatever locale the database
-- was created with.

CREATE TABLE users (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT    COLLATE "C" NOT NULL,
    username_key  TEXT    COLLATE "C" NOT NULL UNIQUE,
    email         TEXT,
    password_hash TEXT    NOT NULL,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    BIGINT  NOT NULL
);

CREATE TABLE rooms (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug       TEXT   COLLATE "C" NOT NULL UNIQUE,
    title      TEXT   COLLATE "C" NOT NULL,
    -- The last `seq` handed out in this room; bumped in the posting
    -- transaction, whose row lock also serialises the posts of a room.
    last_seq   BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE members (
    room_id         BIGINT  NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    user_id         BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    colour          TEXT    NOT NULL DEFAULT '000000',
    alert           BOOLEAN NOT NULL DEFAULT TRUE,
    mail_alert      BOOLEAN NOT NULL DEFAULT FALSE,
    last_seen       BIGINT,
    has_focus       BOOLEAN NOT NULL DEFAULT FALSE,
    last_spoke      BIGINT,
    inactive_from   BIGINT,
    last_mail_alert BIGINT,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX members_user ON members(user_id);

CREATE TABLE messages (
    -- Taken from the sequence inside the posting transaction, after the
    -- room row is locked, so ids rise in commit order within a room.
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room_id      BIGINT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users(id),
    created_at   BIGINT NOT NULL,
    content      TEXT   NOT NULL,
    html         TEXT   NOT NULL,
    client_id    TEXT,
    file_name    TEXT,
    file_size    BIGINT,
    file_type    TEXT,
    file_key     TEXT
);
CREATE UNIQUE INDEX messages_room_id ON messages(room_id, id);
CREATE UNIQUE INDEX messages_room_seq ON messages(room_id, seq);
CREATE UNIQUE INDEX messages_client ON messages(room_id, user_id, client_id) WHERE client_id IS NOT NULL;

CREATE TABLE sessions (
    id      TEXT   PRIMARY KEY,
    data    TEXT   NOT NULL,
    expires BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires);

CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
