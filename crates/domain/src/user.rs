//! Workspaces, users, their memberships and roles, teams and notifications.

use crate::{ConversationId, MessageId, Millis, NotificationId, TeamId, UserId, WorkspaceId, text_enum};
use serde::{Deserialize, Serialize};

/// One support team's tenancy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Workspace {
    /// Its id.
    pub id: WorkspaceId,
    /// Its display name ("Acme Support").
    pub name: String,
    /// When it was created.
    pub created_at: Millis,
}

/// A person who can sign in. A user belongs to workspaces through [`Membership`]s.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// Their id.
    pub id: UserId,
    /// Their sign-in e-mail, lower-cased.
    pub email: String,
    /// Their display name.
    pub name: String,
    /// When they were created.
    pub created_at: Millis,
}

impl User {
    /// The handle teammates @mention: the local part of the e-mail address, lower-cased.
    pub fn handle(&self) -> &str {
        self.email.split('@').next().unwrap_or(&self.email)
    }
}

text_enum!(
    /// What a member may do in a workspace.
    Role, "role" {
        /// Everything an admin can, and cannot be removed by admins.
        Owner => "owner",
        /// Manages inboxes, teams and users.
        Admin => "admin",
        /// Works conversations.
        Agent => "agent",
    }
);

impl Role {
    /// Whether this role may manage inboxes, teams and users.
    pub fn can_administer(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// A user's place in a workspace.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Membership {
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// The user.
    pub user: User,
    /// Their role there.
    pub role: Role,
    /// False once an admin deactivates them: they can no longer sign in to this workspace.
    pub active: bool,
}

/// A team of members.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Team {
    /// Its id.
    pub id: TeamId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Its name, unique in the workspace.
    pub name: String,
    /// Its members.
    pub members: Vec<UserId>,
    /// When it was created.
    pub created_at: Millis,
}

/// Something a user should look at: a mention or an assignment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notification {
    /// Its id.
    pub id: NotificationId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Who it is for.
    pub user_id: UserId,
    /// `mention` or `assignment`.
    pub kind: String,
    /// The conversation it points at.
    pub conversation_id: ConversationId,
    /// The message it points at, if any.
    pub message_id: Option<MessageId>,
    /// Who caused it, if a person did.
    pub actor_id: Option<UserId>,
    /// When the user read it.
    pub read_at: Option<Millis>,
    /// When it was created.
    pub created_at: Millis,
}

/// Normalises a sign-in e-mail address, or says what is wrong with it.
pub fn normalise_login_email(raw: &str, field: &str) -> Result<String, crate::DomainError> {
    crate::contact::normalise_email(raw).map_err(|e| e.in_field(field))
}
