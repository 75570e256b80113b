-- E-mail: what a channel recorded beside each message (threading headers, recipients,
-- machine-sent flags, parse problems) as JSON; which inbox receives at which address
-- (one inbox per address across workspaces, so the SMTP listener can route by RCPT);
-- and each inbox's channel state (the IMAP poller's UIDVALIDITY and last UID).

ALTER TABLE messages ADD COLUMN meta TEXT;

CREATE TABLE inbox_addresses (
    address TEXT PRIMARY KEY,
    workspace_id UUID NOT NULL,
    inbox_id UUID NOT NULL
);
CREATE INDEX inbox_addresses_inbox ON inbox_addresses (workspace_id, inbox_id);

CREATE TABLE channel_state (
    workspace_id UUID NOT NULL,
    inbox_id UUID NOT NULL,
    state TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, inbox_id)
);
