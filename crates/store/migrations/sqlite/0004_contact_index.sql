-- The contact's conversations, newest first, with the list's full sort key: without `id`
-- in it, SQLite preferred walking the workspace's whole recent-activity index to find a
-- new customer's (absent) open conversation, which every inbound message asks for.

DROP INDEX conversations_contact;
CREATE INDEX conversations_contact ON conversations(workspace_id, contact_id, last_activity_at DESC, id DESC);
