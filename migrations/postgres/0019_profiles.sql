-- Each account's profile: the name shown beside its messages, in the people
-- list and in mention suggestions (NULL: the username is shown), and its
-- avatar, the storage key of a square image the server re-encoded (NULL:
-- initials on the member's colour). The username stays the handle that
-- mentions, logins and the API use.
ALTER TABLE users ADD COLUMN display_name TEXT;
ALTER TABLE users ADD COLUMN avatar_key TEXT;
