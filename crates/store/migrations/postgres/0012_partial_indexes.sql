-- Most conversations arrive with neither an assignee nor a team, and every message threaded
-- into one moves its entries in each index that sorts by last activity. The assignee and
-- team indexes now leave those conversations out: a new or threaded unassigned message
-- updates two indexes fewer. A list filtered by an assignee or a team names one, which
-- implies it is not null, so it still reads these; the unassigned queue reads the status
-- index (workspace, status, last activity) and skips the assigned.
DROP INDEX conversations_assignee;
CREATE INDEX conversations_assignee ON conversations(workspace_id, assignee_id, status, last_activity_at DESC, id DESC)
    WHERE assignee_id IS NOT NULL;
DROP INDEX conversations_team;
CREATE INDEX conversations_team ON conversations(workspace_id, team_id, status, last_activity_at DESC, id DESC)
    WHERE team_id IS NOT NULL;
