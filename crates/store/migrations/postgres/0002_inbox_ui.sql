-- What the agent inbox shows per row: the last customer-visible message and when the
-- customer last wrote; per-agent read marks for the unread dot; the label catalogue.

ALTER TABLE conversations ADD COLUMN preview TEXT;
ALTER TABLE conversations ADD COLUMN last_inbound_at BIGINT;

CREATE TABLE conversation_reads (
    workspace_id UUID NOT NULL,
    user_id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id, conversation_id)
);

CREATE TABLE labels (
    workspace_id UUID NOT NULL,
    name TEXT NOT NULL,
    color TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, name)
);
