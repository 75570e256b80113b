//! Administration: the workspace, its members, teams and inboxes. Only admins and owners
//! change them; everyone may read them.

use crate::auth::{hash_password, random_secret};
use crate::{Actor, App, Error, Result};
use domain::inbox::validate_name;
use domain::user::normalise_login_email;
use domain::{
    ChannelKind, Inbox, InboxId, InboxSettings, InboxStatus, Membership, Role, Team, TeamId, User, UserId, Workspace,
};

/// A new member: created with a temporary password, or an existing user added.
#[derive(Debug, Clone)]
pub struct MemberInput {
    /// Their sign-in e-mail.
    pub email: String,
    /// Their name.
    pub name: String,
    /// A temporary password (ignored when the user already exists).
    pub password: String,
    /// Their role.
    pub role: Role,
}

/// A new inbox.
#[derive(Debug, Clone)]
pub struct InboxInput {
    /// The channel it speaks.
    pub kind: ChannelKind,
    /// Its name.
    pub name: String,
    /// Its settings.
    pub settings: InboxSettings,
}

/// Changes to an inbox; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct InboxPatch {
    /// A new name.
    pub name: Option<String>,
    /// New settings (replacing the old ones).
    pub settings: Option<InboxSettings>,
    /// A new status.
    pub status: Option<InboxStatus>,
}

impl App {
    /// The caller's workspace.
    pub async fn workspace(&self, actor: &Actor) -> Result<Workspace> {
        let mut tx = self.store_().read().await?;
        tx.get_workspace(actor.workspace_id).await?.ok_or(Error::NotFound { what: "workspace" })
    }

    /// Renames the caller's workspace (admins).
    pub async fn rename_workspace(&self, actor: &Actor, name: &str) -> Result<Workspace> {
        actor.require_admin()?;
        let name = validate_name(name, "name")?;
        let mut tx = self.store_().write().await?;
        tx.rename_workspace(actor.workspace_id, &name).await?;
        tx.commit().await?;
        self.workspace(actor).await
    }

    /// Everyone in the workspace, active or not.
    pub async fn list_members(&self, actor: &Actor) -> Result<Vec<Membership>> {
        let mut tx = self.store_().read().await?;
        Ok(tx.list_members(actor.workspace_id).await?)
    }

    /// One member.
    pub async fn get_member(&self, actor: &Actor, user: UserId) -> Result<Membership> {
        let mut tx = self.store_().read().await?;
        tx.get_membership(actor.workspace_id, user).await?.ok_or(Error::NotFound { what: "user" })
    }

    /// Adds a member (admins). Only an owner may make another owner.
    pub async fn create_member(&self, actor: &Actor, input: MemberInput) -> Result<Membership> {
        actor.require_admin()?;
        if input.role == Role::Owner && actor.role != Role::Owner {
            return Err(Error::Forbidden("only an owner can make another owner"));
        }
        let email = normalise_login_email(&input.email, "email")?;
        let name = validate_name(&input.name, "name")?;
        let hash = hash_password(&input.password, "password").await?;
        let now = self.now();
        let mut tx = self.store_().write().await?;
        let user = match tx.user_by_email(&email).await? {
            Some((user, _)) => {
                if tx.get_membership(actor.workspace_id, user.id).await?.is_some() {
                    return Err(Error::Conflict { field: "email", message: format!("{email} is already a member") });
                }
                user
            }
            None => {
                let user = User { id: UserId::new(), email, name, created_at: now };
                tx.insert_user(&user, &hash).await?;
                user
            }
        };
        tx.upsert_membership(actor.workspace_id, user.id, input.role, true, now).await?;
        let m = tx.get_membership(actor.workspace_id, user.id).await?.ok_or(Error::NotFound { what: "user" })?;
        tx.commit().await?;
        Ok(m)
    }

    /// Changes a member's role or deactivates them (admins). Owners are changed only by
    /// owners, and nobody deactivates themselves.
    pub async fn update_member(
        &self,
        actor: &Actor,
        user: UserId,
        role: Option<Role>,
        active: Option<bool>,
    ) -> Result<Membership> {
        actor.require_admin()?;
        let mut tx = self.store_().write().await?;
        let m = tx.get_membership(actor.workspace_id, user).await?.ok_or(Error::NotFound { what: "user" })?;
        let touches_owner = m.role == Role::Owner || role == Some(Role::Owner);
        if touches_owner && actor.role != Role::Owner {
            return Err(Error::Forbidden("only an owner can change an owner"));
        }
        if user == actor.user_id && active == Some(false) {
            return Err(Error::invalid("active", "you cannot deactivate yourself"));
        }
        let (role, active) = (role.unwrap_or(m.role), active.unwrap_or(m.active));
        tx.upsert_membership(actor.workspace_id, user, role, active, self.now()).await?;
        let m = tx.get_membership(actor.workspace_id, user).await?.ok_or(Error::NotFound { what: "user" })?;
        tx.commit().await?;
        Ok(m)
    }

    async fn check_members(&self, tx: &mut store::Tx, actor: &Actor, users: &[UserId], field: &str) -> Result<()> {
        for (i, u) in users.iter().enumerate() {
            if tx.get_membership(actor.workspace_id, *u).await?.is_none() {
                return Err(Error::invalid(format!("{field}[{i}]"), format!("{u} is not a member of this workspace")));
            }
        }
        Ok(())
    }

    /// Creates a team (admins).
    pub async fn create_team(&self, actor: &Actor, name: &str, members: Vec<UserId>) -> Result<Team> {
        actor.require_admin()?;
        let name = validate_name(name, "name")?;
        let mut members = members;
        members.sort();
        members.dedup();
        let mut tx = self.store_().write().await?;
        self.check_members(&mut tx, actor, &members, "members").await?;
        let team = Team { id: TeamId::new(), workspace_id: actor.workspace_id, name, members, created_at: self.now() };
        tx.insert_team(&team).await?;
        tx.commit().await?;
        Ok(team)
    }

    /// Every team.
    pub async fn list_teams(&self, actor: &Actor) -> Result<Vec<Team>> {
        let mut tx = self.store_().read().await?;
        Ok(tx.list_teams(actor.workspace_id).await?)
    }

    /// One team.
    pub async fn get_team(&self, actor: &Actor, id: TeamId) -> Result<Team> {
        let mut tx = self.store_().read().await?;
        tx.get_team(actor.workspace_id, id).await?.ok_or(Error::NotFound { what: "team" })
    }

    /// Renames a team or replaces its members (admins).
    pub async fn update_team(
        &self,
        actor: &Actor,
        id: TeamId,
        name: Option<String>,
        members: Option<Vec<UserId>>,
    ) -> Result<Team> {
        actor.require_admin()?;
        let mut tx = self.store_().write().await?;
        tx.get_team(actor.workspace_id, id).await?.ok_or(Error::NotFound { what: "team" })?;
        if let Some(name) = name {
            tx.rename_team(actor.workspace_id, id, &validate_name(&name, "name")?).await?;
        }
        if let Some(mut members) = members {
            members.sort();
            members.dedup();
            self.check_members(&mut tx, actor, &members, "members").await?;
            tx.set_team_members(actor.workspace_id, id, &members).await?;
        }
        let team = tx.get_team(actor.workspace_id, id).await?.ok_or(Error::NotFound { what: "team" })?;
        tx.commit().await?;
        Ok(team)
    }

    /// Deletes a team (admins).
    pub async fn delete_team(&self, actor: &Actor, id: TeamId) -> Result<()> {
        actor.require_admin()?;
        let mut tx = self.store_().write().await?;
        if !tx.delete_team(actor.workspace_id, id).await? {
            return Err(Error::NotFound { what: "team" });
        }
        tx.commit().await?;
        Ok(())
    }

    /// Creates an inbox with a fresh signing secret (admins).
    pub async fn create_inbox(&self, actor: &Actor, mut input: InboxInput) -> Result<Inbox> {
        actor.require_admin()?;
        input.settings.validate(input.kind)?;
        let inbox = Inbox {
            id: InboxId::new(),
            workspace_id: actor.workspace_id,
            kind: input.kind,
            name: validate_name(&input.name, "name")?,
            settings: input.settings,
            secret: random_secret("")?,
            status: InboxStatus::Active,
            created_at: self.now(),
        };
        let mut tx = self.store_().write().await?;
        if let Some(policy) = inbox.settings.sla_policy_id
            && tx.get_sla_policy(actor.workspace_id, policy).await?.is_none()
        {
            return Err(Error::invalid("settings.sla_policy_id", "no such SLA policy"));
        }
        check_email_inbox(&mut tx, &inbox).await?;
        tx.insert_inbox(&inbox).await?;
        tx.commit().await?;
        Ok(inbox)
    }

    /// Every inbox.
    pub async fn list_inboxes(&self, actor: &Actor) -> Result<Vec<Inbox>> {
        let mut tx = self.store_().read().await?;
        Ok(tx.list_inboxes(actor.workspace_id).await?)
    }

    /// One inbox.
    pub async fn get_inbox(&self, actor: &Actor, id: InboxId) -> Result<Inbox> {
        self.recent_inbox(id)
            .await?
            .filter(|i| i.workspace_id == actor.workspace_id)
            .ok_or(Error::NotFound { what: "inbox" })
    }

    /// An inbox of any workspace, read at most once while access stays as it is (every
    /// inbound call asks for its inbox; see `access`).
    async fn recent_inbox(&self, id: InboxId) -> Result<Option<Inbox>> {
        let version = self.store_().access_version();
        if let Some(inbox) = self.inner.inboxes.get(version, &id) {
            return Ok(Some(inbox));
        }
        let mut tx = self.store_().query().await?;
        let found = tx.get_inbox_by_id(id).await?;
        if let Some(inbox) = &found {
            self.inner.inboxes.put(version, id, inbox.clone());
        }
        Ok(found)
    }

    /// Changes an inbox's name, settings or status (admins).
    pub async fn update_inbox(&self, actor: &Actor, id: InboxId, patch: InboxPatch) -> Result<Inbox> {
        actor.require_admin()?;
        let mut tx = self.store_().write().await?;
        let mut inbox = tx.get_inbox(actor.workspace_id, id).await?.ok_or(Error::NotFound { what: "inbox" })?;
        if let Some(name) = patch.name {
            inbox.name = validate_name(&name, "name")?;
        }
        if let Some(mut settings) = patch.settings {
            if settings.sla_policy_id != inbox.settings.sla_policy_id {
                // Its conversations' clocks follow another policy: the SLA pass looks again.
                tx.set_sla_scanned_until(actor.workspace_id, self.now() - crate::sla::RESCAN_WINDOW_MS).await?;
            }
            keep_passwords(&inbox.settings, &mut settings);
            settings.validate(inbox.kind)?;
            inbox.settings = settings;
        }
        if let Some(status) = patch.status {
            inbox.status = status;
        }
        if let Some(policy) = inbox.settings.sla_policy_id
            && tx.get_sla_policy(actor.workspace_id, policy).await?.is_none()
        {
            return Err(Error::invalid("settings.sla_policy_id", "no such SLA policy"));
        }
        check_email_inbox(&mut tx, &inbox).await?;
        if let Some(sunset) = &mut inbox.settings.sunset {
            // A retiring or closed inbox with sunset settings must point somewhere.
            sunset.validate(inbox.status).map_err(|e| match e {
                domain::DomainError::Invalid { field, message } => Error::invalid(format!("settings.{field}"), message),
            })?;
        }
        tx.update_inbox(&inbox).await?;
        tx.commit().await?;
        Ok(inbox)
    }

    /// An inbox looked up by id alone, for channel traffic that proves itself with the
    /// inbox's secret instead of a member's credentials.
    pub async fn inbox_for_signed_post(&self, id: InboxId) -> Result<Inbox> {
        self.recent_inbox(id).await?.ok_or(Error::NotFound { what: "inbox" })
    }
}

/// A widget's e-mail inbox must be an e-mail inbox of the same workspace.
async fn check_email_inbox(tx: &mut store::Tx, inbox: &Inbox) -> Result<()> {
    let Some(id) = inbox.settings.widget.as_ref().and_then(|w| w.email_inbox_id) else { return Ok(()) };
    match tx.get_inbox(inbox.workspace_id, id).await? {
        Some(e) if e.kind == domain::ChannelKind::Email => Ok(()),
        _ => Err(Error::invalid("settings.widget.email_inbox_id", "must name an e-mail inbox of this workspace")),
    }
}

/// Passwords are never shown, so an update that leaves one out (null or empty) means "keep
/// the one stored" for the same server.
fn keep_passwords(old: &domain::InboxSettings, new: &mut domain::InboxSettings) {
    let (Some(old), Some(new)) = (&old.email, &mut new.email) else { return };
    if let (Some(o), Some(n)) = (&old.smtp, &mut new.smtp)
        && n.password.as_deref().is_none_or(str::is_empty)
        && o.host == n.host
    {
        n.password = o.password.clone();
    }
    if let (Some(o), Some(n)) = (&old.imap, &mut new.imap)
        && n.password.is_empty()
        && o.host == n.host
    {
        n.password = o.password.clone();
    }
}
