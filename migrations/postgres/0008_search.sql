-- Search: a generated tsvector column over the messages' text and file
-- names, with a GIN index. Generated and stored, so every path that writes
-- or changes a message (posting, edits and deletions, the command line,
-- imports) keeps it right, and removed rows take their entries with them.
--
-- The `simple` configuration (no stemming, no stop words: names and
-- numbers matter in chat) on text folded by search_fold: lower case,
-- accents taken off (NFD, then the combining marks dropped; the unaccent
-- extension is not in a plain server), and ASCII punctuation made a space,
-- so that URLs, e-mail addresses and dotted names are split into words as
-- SQLite's unicode61 tokenizer splits them, and both backends find the same.
-- Unicode normalization needs a UTF8 database; in any other encoding the
-- accents stay (and every message can still be stored). The encoding of a
-- database never changes, so the function is immutable all the same.
CREATE FUNCTION search_fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN lower(regexp_replace(
        CASE WHEN current_setting('server_encoding') = 'UTF8'
            THEN regexp_replace(normalize(t, NFD), '[\u0300-\u036f]+', '', 'g')
            ELSE t
        END,
        '[[:punct:]]+', ' ', 'g'));

ALTER TABLE messages ADD COLUMN search tsvector
    GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig,
            search_fold(content || ' ' || COALESCE(file_name, '')))
    ) STORED;

CREATE INDEX messages_search ON messages USING gin (search);
