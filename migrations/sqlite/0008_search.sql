-- Search: an FTS5 index over the messages' text and file names, kept by
-- triggers. An external-content table: the text lives once, in messages;
-- the index holds only the tokens. Triggers, as for the overview's
-- roll-ups, so every path that writes messages keeps it right without code
-- of its own: group commit (whose INSERT … SELECT fires them row by row),
-- one by one, edits and deletions (an UPDATE of the text), clearing and
-- deleting rooms, the command line and imports.
--
-- unicode61 with remove_diacritics 2 folds case and accents, so "cafe"
-- finds "café", and splits on anything that is not a letter or a digit.
CREATE VIRTUAL TABLE messages_search USING fts5(
    content,
    file_name,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO messages_search (messages_search) VALUES ('rebuild');

CREATE TRIGGER messages_search_in AFTER INSERT ON messages
BEGIN
    INSERT INTO messages_search (rowid, content, file_name)
        VALUES (NEW.id, NEW.content, NEW.file_name);
END;

CREATE TRIGGER messages_search_out AFTER DELETE ON messages
BEGIN
    INSERT INTO messages_search (messages_search, rowid, content, file_name)
        VALUES ('delete', OLD.id, OLD.content, OLD.file_name);
END;

CREATE TRIGGER messages_search_change AFTER UPDATE OF content, file_name ON messages
BEGIN
    INSERT INTO messages_search (messages_search, rowid, content, file_name)
        VALUES ('delete', OLD.id, OLD.content, OLD.file_name);
    INSERT INTO messages_search (rowid, content, file_name)
        VALUES (NEW.id, NEW.content, NEW.file_name);
END;
