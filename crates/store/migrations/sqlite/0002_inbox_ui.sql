-- What the agent inbox shows per row: the last customer-visible message and when the
-- customer last wrote; per-agent read marks for the unread dot; the label catalogue.

ALTER TABLE conversations ADD COLUMN preview TEXT;
ALTER TABLE conversations ADD COLUMN last_inbound_at INTEGER;

CREATE TABLE conversation_reads (
    workspace_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    conversation_id BLOB NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, user_id, conversation_id)
);

CREATE TABLE labels (
    workspace_id BLOB NOT NULL,
    name TEXT NOT NULL,
    color TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, name)
);
