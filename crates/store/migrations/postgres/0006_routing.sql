-- Routing: each agent's presence and own capacity, the workspace's routing settings, the
-- assignment policy of inboxes and teams (with the round-robin turn), when each conversation
-- was last assigned, and recent handle times (assignment to resolution) for wait estimates.

CREATE TABLE agent_presence (
    workspace_id UUID NOT NULL,
    user_id UUID NOT NULL,
    presence TEXT NOT NULL,
    presence_since BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    max_load DOUBLE PRECISION,
    last_assigned_at BIGINT,
    PRIMARY KEY (workspace_id, user_id)
);

CREATE TABLE routing_settings (
    workspace_id UUID PRIMARY KEY,
    settings JSONB NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE routing_policies (
    workspace_id UUID NOT NULL,
    scope TEXT NOT NULL,
    scope_id UUID NOT NULL,
    policy TEXT NOT NULL,
    turn UUID,
    PRIMARY KEY (workspace_id, scope, scope_id)
);

CREATE TABLE assignment_starts (
    workspace_id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    assignee_id UUID NOT NULL,
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, conversation_id)
);

CREATE TABLE handle_times (
    workspace_id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    resolved_at BIGINT NOT NULL,
    millis BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, resolved_at, conversation_id)
);
