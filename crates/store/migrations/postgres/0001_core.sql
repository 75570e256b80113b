-- Chorus core schema (PostgreSQL). Ids are UUIDv7, times epoch milliseconds.
-- workspace_id leads every key and index.

CREATE TABLE workspaces (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    conversation_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    workspace_id UUID NOT NULL REFERENCES workspaces(id),
    user_id UUID NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    workspace_id UUID NOT NULL,
    user_id UUID NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    workspace_id UUID NOT NULL,
    id UUID NOT NULL,
    user_id UUID NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE teams (
    workspace_id UUID NOT NULL,
    id UUID NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, name)
);

CREATE TABLE team_members (
    workspace_id UUID NOT NULL,
    team_id UUID NOT NULL,
    user_id UUID NOT NULL,
    PRIMARY KEY (workspace_id, team_id, user_id)
);

CREATE TABLE inboxes (
    workspace_id UUID NOT NULL,
    id UUID NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    settings JSONB NOT NULL,
    secret TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX inboxes_id ON inboxes(id);

CREATE TABLE contacts (
    workspace_id UUID NOT NULL,
    id UUID NOT NULL,
    name TEXT,
    company TEXT,
    attributes JSONB NOT NULL,
    merged_into UUID,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX contacts_list ON contacts(workspace_id, merged_into, created_at DESC, id DESC);

CREATE TABLE contact_identities (
    workspace_id UUID NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    contact_id UUID NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, kind, value)
);
CREATE INDEX contact_identities_contact ON contact_identities(workspace_id, contact_id);

CREATE TABLE contact_notes (
    workspace_id UUID NOT NULL,
    id UUID NOT NULL,
    contact_id UUID NOT NULL,
    author_id UUID,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX contact_notes_contact ON contact_notes(workspace_id, contact_id, created_at);

CREATE TABLE conversations (
    workspace_id UUID NOT NULL,
    id UUID NOT NULL,
    number BIGINT NOT NULL,
    inbox_id UUID NOT NULL,
    contact_id UUID NOT NULL,
    subject TEXT,
    status TEXT NOT NULL,
    snoozed_until BIGINT,
    priority TEXT NOT NULL,
    assignee_id UUID,
    team_id UUID,
    labels JSONB NOT NULL,
    participants JSONB NOT NULL,
    message_count BIGINT NOT NULL DEFAULT 0,
    waiting_since BIGINT,
    first_response_at BIGINT,
    resolved_at BIGINT,
    reopen_count BIGINT NOT NULL DEFAULT 0,
    last_activity_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
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
    workspace_id UUID NOT NULL,
    label TEXT NOT NULL,
    conversation_id UUID NOT NULL,
    PRIMARY KEY (workspace_id, label, conversation_id)
);

CREATE TABLE messages (
    workspace_id UUID NOT NULL,
    id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    inbox_id UUID NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    author_kind TEXT NOT NULL,
    author_id UUID,
    text TEXT NOT NULL,
    html TEXT,
    provider_message_id TEXT,
    delivery_status TEXT,
    delivery_error TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX messages_conversation ON messages(workspace_id, conversation_id, created_at, id);
CREATE UNIQUE INDEX messages_provider_id ON messages(workspace_id, inbox_id, provider_message_id)
    WHERE provider_message_id IS NOT NULL;

CREATE TABLE attachments (
    workspace_id UUID NOT NULL,
    id UUID NOT NULL,
    message_id UUID,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX attachments_message ON attachments(workspace_id, message_id);

CREATE TABLE notifications (
    workspace_id UUID NOT NULL,
    id UUID NOT NULL,
    user_id UUID NOT NULL,
    kind TEXT NOT NULL,
    conversation_id UUID NOT NULL,
    message_id UUID,
    actor_id UUID,
    read_at BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX notifications_user ON notifications(workspace_id, user_id, created_at DESC, id DESC);

CREATE TABLE counters (
    workspace_id UUID NOT NULL,
    key TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, key)
);

CREATE TABLE events (
    seq BIGSERIAL PRIMARY KEY,
    workspace_id UUID NOT NULL,
    kind TEXT NOT NULL,
    conversation_id UUID,
    user_id UUID,
    data JSONB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_workspace ON events(workspace_id, seq);

CREATE TABLE jobs (
    id UUID PRIMARY KEY,
    workspace_id UUID NOT NULL,
    kind TEXT NOT NULL,
    payload JSONB NOT NULL,
    status TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs(status, run_at);
CREATE INDEX jobs_workspace ON jobs(workspace_id, status, created_at);

-- Full-text search: one document per message, conversation subject and contact, with a
-- GIN index led by workspace_id (btree_gin) so a query is scoped inside the index.
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE TABLE search_docs (
    id BIGSERIAL PRIMARY KEY,
    workspace_id UUID NOT NULL,
    kind TEXT NOT NULL,
    ref_id UUID NOT NULL UNIQUE,
    conversation_id UUID,
    body TEXT NOT NULL,
    tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED
);
CREATE INDEX search_docs_tsv ON search_docs USING GIN (workspace_id, tsv);
