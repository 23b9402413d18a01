-- Imports from another chat server (`conversate import django-conversate`):
-- what each source row became here, written in the same transaction as the
-- row itself, so running an import again changes nothing and an
-- interrupted one goes on where it stopped.
CREATE TABLE imported (
    -- Which installation the rows came from (see service/import).
    source    TEXT    NOT NULL,
    -- `user`, `room`, `member` or `message`.
    kind      TEXT    NOT NULL,
    source_id BIGINT  NOT NULL,
    target_id BIGINT  NOT NULL,
    PRIMARY KEY (source, kind, source_id)
);
