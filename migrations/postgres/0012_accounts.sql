-- Getting people in and keeping them in: invitation links, password reset
-- links, the account e-mails (resets) queued for the mail worker, direct
-- rooms and open rooms.
-- Links are random tokens; only their SHA-256 is stored.

CREATE TABLE invitations (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash      TEXT    NOT NULL UNIQUE,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    max_uses        BIGINT  NOT NULL CHECK (max_uses > 0),
    -- Accounts made with it so far; never more than max_uses (checked in
    -- the same statement that counts a use).
    uses            BIGINT  NOT NULL DEFAULT 0 CHECK (uses <= max_uses),
    -- When set, only this address may accept it.
    email           TEXT,
    revoked_at      BIGINT,
    created_by      BIGINT  REFERENCES users(id) ON DELETE SET NULL,
    created_by_name TEXT    NOT NULL
);
CREATE INDEX invitations_created ON invitations(created_at);

-- The rooms an invitation joins.
CREATE TABLE invitation_rooms (
    invitation_id BIGINT  NOT NULL REFERENCES invitations(id) ON DELETE CASCADE,
    room_id       BIGINT  NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    PRIMARY KEY (invitation_id, room_id)
);

-- Who accepted an invitation, and when.
CREATE TABLE invitation_uses (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invitation_id BIGINT  NOT NULL REFERENCES invitations(id) ON DELETE CASCADE,
    user_id       BIGINT  REFERENCES users(id) ON DELETE SET NULL,
    username      TEXT    NOT NULL,
    at            BIGINT  NOT NULL
);
CREATE INDEX invitation_uses_invitation ON invitation_uses(invitation_id);

-- Password reset links: single use, expiring, revocable.
CREATE TABLE password_resets (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT    NOT NULL UNIQUE,
    user_id    BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT 
);
CREATE INDEX password_resets_user ON password_resets(user_id);
CREATE INDEX password_resets_created ON password_resets(created_at);

-- Account e-mails waiting for the mail worker. A reset request stores only
-- what was entered; the worker finds the account, makes the link and sends
-- it, so the request does the same work whether or not an account exists,
-- and no usable link is ever stored.
CREATE TABLE account_mail (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT    NOT NULL,
    entered         TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    -- pending, sent or cancelled.
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    claimed_until   BIGINT,
    sent_at         BIGINT,
    last_error      TEXT
);
CREATE INDEX account_mail_due ON account_mail(status, next_attempt_at);

-- Direct rooms: a two-person room, at most one per pair (the primary key;
-- the pair is stored lower id first). Open rooms: listed in the room
-- directory, where any account may join. Direct rooms are never open.
ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'room'
    CHECK (kind IN ('room', 'direct'));
ALTER TABLE rooms ADD COLUMN is_open BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE rooms ADD CONSTRAINT rooms_open_is_a_room CHECK (NOT is_open OR kind = 'room');
CREATE TABLE direct_rooms (
    user_low  BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_high BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    room_id   BIGINT NOT NULL UNIQUE REFERENCES rooms(id) ON DELETE CASCADE,
    PRIMARY KEY (user_low, user_high),
    CHECK (user_low < user_high)
);
CREATE INDEX direct_rooms_high ON direct_rooms(user_high);
