-- Rich content: what a message shows besides its text, made after it was
-- sent (service/previews.rs): the preview of its attached image and the
-- preview of its first link, as JSON (domain/previews.rs), '' for none.
-- The storage keys it names are removed with the message, as its file is.
ALTER TABLE messages ADD COLUMN previews TEXT NOT NULL DEFAULT '';
