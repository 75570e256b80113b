-- Automation rules, stored whole as JSON with their position (rules run in position order).

CREATE TABLE rules (
    workspace_id BLOB NOT NULL,
    id BLOB NOT NULL,
    position INTEGER NOT NULL,
    enabled INTEGER NOT NULL,
    rule TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX rules_order ON rules(workspace_id, position, id);
