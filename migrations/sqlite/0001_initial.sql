-- Conversate schema, SQLite dialect. Times are Unix seconds (INTEGER).

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL,
    username_key  TEXT    NOT NULL UNIQUE,
    email         TEXT,
    password_hash TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    is_active     INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL
);

CREATE TABLE rooms (
    id         INTEGER PRIMARY KEY,
    slug       TEXT    NOT NULL UNIQUE,
    title      TEXT    NOT NULL,
    -- The last `seq` handed out in this room; bumped in the posting transaction.
    last_seq   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE members (
    room_id         INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    colour          TEXT    NOT NULL DEFAULT '000000',
    alert           INTEGER NOT NULL DEFAULT 1,
    mail_alert      INTEGER NOT NULL DEFAULT 0,
    last_seen       INTEGER,
    has_focus       INTEGER NOT NULL DEFAULT 0,
    last_spoke      INTEGER,
    inactive_from   INTEGER,
    last_mail_alert INTEGER,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX members_user ON members(user_id);

CREATE TABLE messages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id      INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    created_at   INTEGER NOT NULL,
    content      TEXT    NOT NULL,
    html         TEXT    NOT NULL,
    client_id    TEXT,
    file_name    TEXT,
    file_size    INTEGER,
    file_type    TEXT,
    file_key     TEXT
);
CREATE UNIQUE INDEX messages_room_id ON messages(room_id, id);
CREATE UNIQUE INDEX messages_room_seq ON messages(room_id, seq);
CREATE UNIQUE INDEX messages_client ON messages(room_id, user_id, client_id) WHERE client_id IS NOT NULL;

CREATE TABLE sessions (
    id      TEXT PRIMARY KEY,
    data    TEXT    NOT NULL,
    expires INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires);

CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
