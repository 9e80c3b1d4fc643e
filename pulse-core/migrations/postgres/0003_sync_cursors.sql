-- Where each stream of each integration's sync stands (the connectors' resumable cursors).
-- One row per (integration, stream), replaced after every landed page in the same
-- transaction as the page itself. The composite key to integrations makes a cursor of
-- another client's integration impossible, and deleting an integration drops its cursors.

CREATE TABLE sync_cursors (
    client_id      BIGINT NOT NULL,
    integration_id BIGINT NOT NULL,
    stream         TEXT NOT NULL,
    cursor         JSONB NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (client_id, integration_id, stream),
    FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id) ON DELETE CASCADE
);

ALTER TABLE sync_cursors ENABLE ROW LEVEL SECURITY;
-- FORCE: the owning role (the one that ran this migration) is bound too.
ALTER TABLE sync_cursors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sync_cursors USING (client_id = pulse_current_client())
    WITH CHECK (client_id = pulse_current_client());
