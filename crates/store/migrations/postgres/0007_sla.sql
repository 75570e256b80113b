-- SLA: policies (targets per channel and priority, business hours, warning share; one is the
-- workspace's default), the stretches a conversation was pending on the customer (its clocks
-- pause), the next warning or breach each clock is due to raise, the events already raised,
-- and how far the SLA pass has looked at changed conversations.

CREATE TABLE sla_policies (
    workspace_id UUID NOT NULL,
    id UUID NOT NULL,
    name TEXT NOT NULL,
    policy JSONB NOT NULL,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE sla_pauses (
    workspace_id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    paused_at BIGINT NOT NULL,
    resumed_at BIGINT,
    PRIMARY KEY (workspace_id, conversation_id, paused_at)
);

CREATE TABLE sla_timers (
    workspace_id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    kind TEXT NOT NULL,
    event TEXT NOT NULL,
    clock_started_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, conversation_id, kind)
);
CREATE INDEX sla_timers_due ON sla_timers(due_at);

CREATE TABLE sla_fired (
    workspace_id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    kind TEXT NOT NULL,
    event TEXT NOT NULL,
    clock_started_at BIGINT NOT NULL,
    fired_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, conversation_id, kind, event, clock_started_at)
);

CREATE TABLE sla_scan (
    workspace_id UUID PRIMARY KEY,
    scanned_until BIGINT NOT NULL
);
