-- Authentication records: refresh tokens (one row per issued token, grouped in families
-- for reuse detection) and API tokens. Only SHA-256 hashes of the secrets are stored;
-- a database dump does not let anyone sign in.

-- Tokens refer to their user through (client_id, user_id), which makes a token of
-- another client's user impossible; that needs users to be unique on (client_id, id).
ALTER TABLE users ADD CONSTRAINT users_client_id_id_key UNIQUE (client_id, id);

CREATE TABLE refresh_tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id  BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    -- Every token rotated from one sign-in shares the family; reuse revokes all of them.
    family     TEXT NOT NULL,
    user_id    BIGINT NOT NULL,
    token_hash TEXT NOT NULL,
    issued_at  TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    spent_at   TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    UNIQUE (client_id, id),
    UNIQUE (client_id, token_hash),
    FOREIGN KEY (client_id, user_id) REFERENCES users (client_id, id) ON DELETE CASCADE
);

CREATE INDEX refresh_tokens_by_family ON refresh_tokens (client_id, family);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (client_id, user_id);

CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id    BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'user', 'viewer')),
    token_hash   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    UNIQUE (client_id, id),
    UNIQUE (client_id, name),
    UNIQUE (client_id, token_hash)
);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['refresh_tokens', 'api_tokens'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (client_id = pulse_current_client()) '
            'WITH CHECK (client_id = pulse_current_client())', t);
    END LOOP;
END
$$;
