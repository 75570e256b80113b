-- Routing: each agent's presence and own capacity, the workspace's routing settings, the
-- assignment policy of inboxes and teams (with the round-robin turn), when each conversation
-- was last assigned, and recent handle times (assignment to resolution) for wait estimates.

CREATE TABLE agent_presence (
    workspace_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    presence TEXT NOT NULL,
    presence_since INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    max_load REAL,
    last_assigned_at INTEGER,
    PRIMARY KEY (workspace_id, user_id)
);

CREATE TABLE routing_settings (
    workspace_id BLOB PRIMARY KEY,
    settings TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE routing_policies (
    workspace_id BLOB NOT NULL,
    scope TEXT NOT NULL,
    scope_id BLOB NOT NULL,
    policy TEXT NOT NULL,
    turn BLOB,
    PRIMARY KEY (workspace_id, scope, scope_id)
);

CREATE TABLE assignment_starts (
    workspace_id BLOB NOT NULL,
    conversation_id BLOB NOT NULL,
    assignee_id BLOB NOT NULL,
    assigned_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, conversation_id)
);

CREATE TABLE handle_times (
    workspace_id BLOB NOT NULL,
    conversation_id BLOB NOT NULL,
    resolved_at INTEGER NOT NULL,
    millis INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, resolved_at, conversation_id)
);
