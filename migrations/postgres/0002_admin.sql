-- Who did what, when: every administrative action.
CREATE TABLE audit_log (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor_id   BIGINT REFERENCES users(id) ON DELETE SET NULL,
    actor_name TEXT   NOT NULL,
    action     TEXT   NOT NULL,
    target     TEXT   NOT NULL,
    detail     TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at);
