-- SLA: policies (targets per channel and priority, business hours, warning share; one is the
-- workspace's default), the stretches a conversation was pending on the customer (its clocks
-- pause), the next warning or breach each clock is due to raise, the events already raised,
-- and how far the SLA pass has looked at changed conversations.

CREATE TABLE sla_policies (
    workspace_id BLOB NOT NULL,
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    policy TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE sla_pauses (
    workspace_id BLOB NOT NULL,
    conversation_id BLOB NOT NULL,
    paused_at INTEGER NOT NULL,
    resumed_at INTEGER,
    PRIMARY KEY (workspace_id, conversation_id, paused_at)
);

CREATE TABLE sla_timers (
    workspace_id BLOB NOT NULL,
    conversation_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    event TEXT NOT NULL,
    clock_started_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, conversation_id, kind)
);
CREATE INDEX sla_timers_due ON sla_timers(due_at);

CREATE TABLE sla_fired (
    workspace_id BLOB NOT NULL,
    conversation_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    event TEXT NOT NULL,
    clock_started_at INTEGER NOT NULL,
    fired_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, conversation_id, kind, event, clock_started_at)
);

CREATE TABLE sla_scan (
    workspace_id BLOB PRIMARY KEY,
    scanned_until INTEGER NOT NULL
);
