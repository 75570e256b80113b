-- Web chat visitors: a browser that holds a token (kept in its local storage) is one
-- visitor. Only the token's SHA-256 is stored. The contact behind it is found by the
-- identity (widget, visitor id), created with its first message, so page views alone
-- leave no contacts behind, and merges carry it along.
CREATE TABLE widget_visitors (
    workspace_id UUID NOT NULL,
    id UUID NOT NULL,
    inbox_id UUID NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX widget_visitors_token ON widget_visitors (workspace_id, token_hash);

-- The waiting-room assistant's memory of a conversation: where it is and what the
-- customer told it (shown to the agent at the top of the conversation).
CREATE TABLE assistant_sessions (
    workspace_id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    session TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, conversation_id)
);

-- A widget connection catches up on its own conversation's events, not the workspace's.
CREATE INDEX events_conversation ON events (workspace_id, conversation_id, seq);
