-- Each user's own language and time zone for pages and e-mail. Empty
-- (NULL) means "the browser's": the language from Accept-Language, times
-- in UTC on the page (which the client script shows in the browser's zone)
-- and in e-mail. The language is a catalogue tag (`en`, `de`), the zone an
-- IANA name (`America/New_York`); both are checked before they are stored.
ALTER TABLE users ADD COLUMN language TEXT;
ALTER TABLE users ADD COLUMN time_zone TEXT;
