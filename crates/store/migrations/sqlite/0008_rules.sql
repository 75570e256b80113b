-- Automation rules, stored whole as JSON with their position (rules run in position order);
-- and sunset (below).

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

-- Sunset: the contacts who wrote to a retiring or closed inbox (when they got the notice, when
-- they last wrote, and whether they have moved to another inbox since), and each contact's
-- preferred inbox (the one they moved to).

CREATE TABLE sunset_contacts (
    workspace_id BLOB NOT NULL,
    inbox_id BLOB NOT NULL,
    contact_id BLOB NOT NULL,
    noticed_at INTEGER,
    last_written_at INTEGER NOT NULL,
    moved_to_inbox_id BLOB,
    moved_at INTEGER,
    PRIMARY KEY (workspace_id, inbox_id, contact_id)
);
CREATE INDEX sunset_contacts_contact ON sunset_contacts(workspace_id, contact_id);

CREATE TABLE preferred_inboxes (
    workspace_id BLOB NOT NULL,
    contact_id BLOB NOT NULL,
    inbox_id BLOB NOT NULL,
    since INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, contact_id)
);
