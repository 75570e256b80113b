//! Shapes for signing in, API tokens, the workspace, its members, teams and inboxes.

use super::list_dto;
use domain::{ChannelKind, InboxId, InboxSettings, InboxStatus, Millis, Role, TeamId, TokenId, UserId, WorkspaceId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Sign in with e-mail and password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The sign-in e-mail address.
    pub email: String,
    /// The password.
    pub password: String,
}

/// A session was started; its token is in the `chorus_session` cookie.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Who signed in.
    pub member: MemberDto,
    /// When the session ends (epoch ms).
    pub expires_at: Millis,
}

/// Change your own password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The password in use now.
    pub current_password: String,
    /// The new password.
    pub new_password: String,
}

/// A member of the workspace.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDto {
    /// Their user id.
    #[schema(value_type = String, format = Uuid)]
    pub id: UserId,
    /// The workspace.
    #[schema(value_type = String, format = Uuid)]
    pub workspace_id: WorkspaceId,
    /// Their sign-in e-mail.
    pub email: String,
    /// Their display name.
    pub name: String,
    /// The handle teammates @mention.
    pub handle: String,
    /// Their role.
    #[schema(schema_with = super::role_schema)]
    pub role: Role,
    /// False once deactivated.
    pub active: bool,
    /// When the user was created (epoch ms).
    pub created_at: Millis,
}

impl From<domain::Membership> for MemberDto {
    fn from(m: domain::Membership) -> Self {
        MemberDto {
            handle: m.user.handle().to_string(),
            id: m.user.id,
            workspace_id: m.workspace_id,
            email: m.user.email,
            name: m.user.name,
            role: m.role,
            active: m.active,
            created_at: m.user.created_at,
        }
    }
}

list_dto!(
    /// Members of the workspace.
    MemberList of MemberDto
);

/// Add a member.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMemberRequest {
    /// Their sign-in e-mail.
    pub email: String,
    /// Their display name.
    pub name: String,
    /// Their first password.
    pub password: String,
    /// Their role.
    #[schema(schema_with = super::role_schema)]
    pub role: Role,
}

/// Change a member's role or deactivate them; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberRequest {
    /// The new role.
    #[serde(default)]
    #[schema(schema_with = super::role_schema)]
    pub role: Option<Role>,
    /// False to deactivate, true to reactivate.
    #[serde(default)]
    pub active: Option<bool>,
}

/// A personal API token (the secret is shown once, when it is created).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: TokenId,
    /// What it is for.
    pub name: String,
    /// When it was created (epoch ms).
    pub created_at: Millis,
    /// When it was last used (epoch ms).
    pub last_used_at: Option<Millis>,
}

impl From<app::TokenInfo> for TokenDto {
    fn from(t: app::TokenInfo) -> Self {
        TokenDto { id: t.id, name: t.name, created_at: t.created_at, last_used_at: t.last_used_at }
    }
}

list_dto!(
    /// Your API tokens.
    TokenList of TokenDto
);

/// Create an API token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// What it is for ("billing sync").
    pub name: String,
}

/// A new token and its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenDto {
    /// The token.
    pub token: TokenDto,
    /// Send as `Authorization: Bearer <secret>`. Shown only now: store it safely.
    pub secret: String,
}

/// A workspace.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceDto {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: WorkspaceId,
    /// Its name.
    pub name: String,
    /// When it was created (epoch ms).
    pub created_at: Millis,
}

impl From<domain::Workspace> for WorkspaceDto {
    fn from(w: domain::Workspace) -> Self {
        WorkspaceDto { id: w.id, name: w.name, created_at: w.created_at }
    }
}

/// Rename the workspace.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWorkspaceRequest {
    /// The new name.
    pub name: String,
}

/// A team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamDto {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: TeamId,
    /// Its name.
    pub name: String,
    /// Its members' user ids.
    #[schema(value_type = Vec<String>)]
    pub member_ids: Vec<UserId>,
    /// When it was created (epoch ms).
    pub created_at: Millis,
}

impl From<domain::Team> for TeamDto {
    fn from(t: domain::Team) -> Self {
        TeamDto { id: t.id, name: t.name, member_ids: t.members, created_at: t.created_at }
    }
}

list_dto!(
    /// Teams of the workspace.
    TeamList of TeamDto
);

/// Create a team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeamRequest {
    /// Its name, unique in the workspace.
    pub name: String,
    /// Its members' user ids.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub member_ids: Vec<UserId>,
}

/// Rename a team or replace its members; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTeamRequest {
    /// The new name.
    #[serde(default)]
    pub name: Option<String>,
    /// The new members (replacing the old).
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub member_ids: Option<Vec<UserId>>,
}

/// An inbox's settings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct InboxSettingsDto {
    /// API channel: where replies are POSTed, signed with the inbox secret.
    pub callback_url: Option<String>,
    /// A customer writing within this many minutes of a resolution reopens that conversation.
    /// Zero never reopens.
    pub reopen_window_minutes: i64,
    /// E-mail channel: `addresses` (the first is the From of replies), `from_name`, `smtp`
    /// (`host`, `port`, `security`: `tls`|`starttls`|`none`, `username`, `password`) and
    /// `imap` (the same, plus `folder` and `move_to`). Passwords are never sent back: they
    /// read as null, and a null password in an update keeps the one stored.
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<domain::inbox::EmailSettings>,
    /// Retiring the inbox (status `sunset` or `closed`): `date` (`YYYY-MM-DD`),
    /// `alternatives` (`[{"kind", "label", "address"}]`, at least one once the inbox is not
    /// active) and `message` (the notice's own opening words). Each customer who writes to a
    /// sunset inbox gets the notice once.
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sunset: Option<domain::SunsetSettings>,
    /// The SLA policy of this inbox's conversations (see `/api/v1/sla/policies`); without one
    /// the workspace's default applies.
    #[schema(value_type = Option<String>, format = Uuid)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla_policy_id: Option<domain::SlaPolicyId>,
    /// Web chat (widget inboxes): `color` (`#rrggbb`), `greeting`, `language` (`en`, `ru`,
    /// `uk`, `et`, `be`; null follows the visitor's browser), `allowed_origins` (sites that
    /// may embed it, e.g. `https://shop.example`; empty allows all) and `questions` the
    /// waiting-room assistant asks (`[{"key", "prompt", "kind": "text" | "email"}]`).
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub widget: Option<domain::widget::WidgetSettings>,
}

impl Default for InboxSettingsDto {
    fn default() -> Self {
        InboxSettings::default().into()
    }
}

impl From<InboxSettings> for InboxSettingsDto {
    fn from(s: InboxSettings) -> Self {
        let email = s.email.map(|mut e| {
            if let Some(smtp) = &mut e.smtp {
                smtp.password = None;
            }
            if let Some(imap) = &mut e.imap {
                imap.password = String::new();
            }
            e
        });
        InboxSettingsDto {
            callback_url: s.callback_url,
            reopen_window_minutes: s.reopen_window_minutes,
            email,
            sunset: s.sunset,
            sla_policy_id: s.sla_policy_id,
            widget: s.widget,
        }
    }
}

impl From<InboxSettingsDto> for InboxSettings {
    fn from(s: InboxSettingsDto) -> Self {
        InboxSettings {
            callback_url: s.callback_url,
            reopen_window_minutes: s.reopen_window_minutes,
            email: s.email,
            sunset: s.sunset,
            sla_policy_id: s.sla_policy_id,
            widget: s.widget,
        }
    }
}

/// An inbox: one channel instance.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxDto {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: InboxId,
    /// The channel it speaks.
    #[schema(schema_with = super::channel_kind_schema)]
    pub kind: ChannelKind,
    /// Its name.
    pub name: String,
    /// Its settings.
    pub settings: InboxSettingsDto,
    /// The secret that signs callbacks and inbound posts; shown to admins only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Where it is in its life.
    #[schema(schema_with = super::inbox_status_schema)]
    pub status: InboxStatus,
    /// When it was created (epoch ms).
    pub created_at: Millis,
}

impl InboxDto {
    /// The inbox as `viewer` may see it: the secret only for admins.
    pub fn for_viewer(inbox: domain::Inbox, viewer: &app::Actor) -> Self {
        InboxDto {
            id: inbox.id,
            kind: inbox.kind,
            name: inbox.name,
            settings: inbox.settings.into(),
            secret: viewer.role.can_administer().then_some(inbox.secret),
            status: inbox.status,
            created_at: inbox.created_at,
        }
    }
}

list_dto!(
    /// Inboxes of the workspace.
    InboxList of InboxDto
);

/// Create an inbox.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInboxRequest {
    /// The channel it speaks.
    #[schema(schema_with = super::channel_kind_schema)]
    pub kind: ChannelKind,
    /// Its name.
    pub name: String,
    /// Its settings (defaults when absent).
    #[serde(default)]
    pub settings: InboxSettingsDto,
}

/// Change an inbox; absent fields stay as they are, `settings` replaces all settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInboxRequest {
    /// The new name.
    #[serde(default)]
    pub name: Option<String>,
    /// The new settings.
    #[serde(default)]
    pub settings: Option<InboxSettingsDto>,
    /// The new status.
    #[serde(default)]
    #[schema(schema_with = super::inbox_status_schema)]
    pub status: Option<InboxStatus>,
}
