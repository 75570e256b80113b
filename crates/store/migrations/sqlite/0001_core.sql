-- Chorus core schema (SQLite). Ids are UUIDv7 as 16-byte blobs, times epoch milliseconds.
-- workspace_id leads every key and index.

CREATE TABLE workspaces (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    conversation_seq INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id BLOB PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE memberships (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    user_id BLOB NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    workspace_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    workspace_id BLOB NOT NULL,
    id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE teams (
    workspace_id BLOB NOT NULL,
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, name)
);

CREATE TABLE team_members (
    workspace_id BLOB NOT NULL,
    team_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    PRIMARY KEY (workspace_id, team_id, user_id)
);

CREATE TABLE inboxes (
    workspace_id BLOB NOT NULL,
    id BLOB NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    settings TEXT NOT NULL,
    secret TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX inboxes_id ON inboxes(id);

CREATE TABLE contacts (
    workspace_id BLOB NOT NULL,
    id BLOB NOT NULL,
    name TEXT,
    company TEXT,
    attributes TEXT NOT NULL,
    merged_into BLOB,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX contacts_list ON contacts(workspace_id, merged_into, created_at DESC, id DESC);

CREATE TABLE contact_identities (
    workspace_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    contact_id BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, kind, value)
);
CREATE INDEX contact_identities_contact ON contact_identities(workspace_id, contact_id);

CREATE TABLE contact_notes (
    workspace_id BLOB NOT NULL,
    id BLOB NOT NULL,
    contact_id BLOB NOT NULL,
    author_id BLOB,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX contact_notes_contact ON contact_notes(workspace_id, contact_id, created_at);

CREATE TABLE conversations (
    workspace_id BLOB NOT NULL,
    id BLOB NOT NULL,
    number INTEGER NOT NULL,
    inbox_id BLOB NOT NULL,
    contact_id BLOB NOT NULL,
    subject TEXT,
    status TEXT NOT NULL,
    snoozed_until INTEGER,
    priority TEXT NOT NULL,
    assignee_id BLOB,
    team_id BLOB,
    labels TEXT NOT NULL,
    participants TEXT NOT NULL,
    message_count INTEGER NOT NULL DEFAULT 0,
    waiting_since INTEGER,
    first_response_at INTEGER,
    resolved_at INTEGER,
    reopen_count INTEGER NOT NULL DEFAULT 0,
    last_activity_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, number)
);
CREATE INDEX conversations_status ON conversations(workspace_id, status, last_activity_at DESC, id DESC);
CREATE INDEX conversations_recent ON conversations(workspace_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_assignee ON conversations(workspace_id, assignee_id, status, last_activity_at DESC, id DESC);
CREATE INDEX conversations_inbox ON conversations(workspace_id, inbox_id, status, last_activity_at DESC, id DESC);
CREATE INDEX conversations_team ON conversations(workspace_id, team_id, status, last_activity_at DESC, id DESC);
CREATE INDEX conversations_contact ON conversations(workspace_id, contact_id, inbox_id, last_activity_at DESC);

CREATE TABLE conversation_labels (
    workspace_id BLOB NOT NULL,
    label TEXT NOT NULL,
    conversation_id BLOB NOT NULL,
    PRIMARY KEY (workspace_id, label, conversation_id)
);

CREATE TABLE messages (
    workspace_id BLOB NOT NULL,
    id BLOB NOT NULL,
    conversation_id BLOB NOT NULL,
    inbox_id BLOB NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    author_kind TEXT NOT NULL,
    author_id BLOB,
    text TEXT NOT NULL,
    html TEXT,
    provider_message_id TEXT,
    delivery_status TEXT,
    delivery_error TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX messages_conversation ON messages(workspace_id, conversation_id, created_at, id);
CREATE UNIQUE INDEX messages_provider_id ON messages(workspace_id, inbox_id, provider_message_id)
    WHERE provider_message_id IS NOT NULL;

CREATE TABLE attachments (
    workspace_id BLOB NOT NULL,
    id BLOB NOT NULL,
    message_id BLOB,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX attachments_message ON attachments(workspace_id, message_id);

CREATE TABLE notifications (
    workspace_id BLOB NOT NULL,
    id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    conversation_id BLOB NOT NULL,
    message_id BLOB,
    actor_id BLOB,
    read_at INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX notifications_user ON notifications(workspace_id, user_id, created_at DESC, id DESC);

CREATE TABLE counters (
    workspace_id BLOB NOT NULL,
    key TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, key)
);

CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    conversation_id BLOB,
    user_id BLOB,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX events_workspace ON events(workspace_id, seq);

CREATE TABLE jobs (
    id BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    lease_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs(status, run_at);
CREATE INDEX jobs_workspace ON jobs(workspace_id, status, created_at);

-- Full-text search: one document per message, conversation subject and contact. The `ws`
-- column holds a token naming the workspace, so a query intersects it inside the index.
CREATE TABLE search_docs (
    rowid INTEGER PRIMARY KEY,
    workspace_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    ref_id BLOB NOT NULL UNIQUE,
    conversation_id BLOB,
    ws TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE VIRTUAL TABLE search_fts USING fts5(
    ws, body, content='search_docs', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts(rowid, ws, body) VALUES (new.rowid, new.ws, new.body);
END;
CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts(search_fts, rowid, ws, body) VALUES ('delete', old.rowid, old.ws, old.body);
END;
CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN
    INSERT INTO search_fts(search_fts, rowid, ws, body) VALUES ('delete', old.rowid, old.ws, old.body);
    INSERT INTO search_fts(rowid, ws, body) VALUES (new.rowid, new.ws, new.body);
END;
