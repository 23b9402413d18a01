-- Accounts whose identity comes from elsewhere: a host site that embeds
-- Conversate, a trusted front-end's headers, or an OpenID provider. Each
-- (source, subject) pair names one account; the account itself stays an
-- ordinary row of `users`, so rooms, membership, read state and alerts work
-- as for everyone else.
CREATE TABLE external_identities (
    source       TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    display_name TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (source, subject)
);

CREATE INDEX external_identities_user ON external_identities (user_id);
