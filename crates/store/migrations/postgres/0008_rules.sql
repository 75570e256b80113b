-- Automation rules, stored whole as JSON with their position (rules run in position order).

CREATE TABLE rules (
    workspace_id UUID NOT NULL,
    id UUID NOT NULL,
    position INTEGER NOT NULL,
    enabled BOOLEAN NOT NULL,
    rule JSONB NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX rules_order ON rules(workspace_id, position, id);
