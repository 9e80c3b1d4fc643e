-- Where each stream of each integration's sync stands (the connectors' resumable cursors).
-- One row per (integration, stream), replaced after every landed page in the same
-- transaction as the page itself. The composite key to integrations makes a cursor of
-- another client's integration impossible, and deleting an integration drops its cursors.

CREATE TABLE sync_cursors (
    client_id      INTEGER NOT NULL,
    integration_id INTEGER NOT NULL,
    stream         TEXT NOT NULL,
    cursor         TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (client_id, integration_id, stream),
    FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id) ON DELETE CASCADE
) STRICT;
