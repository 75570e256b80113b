//! Signing in: passwords (argon2id), sessions and personal API tokens. Only hashes of
//! secrets are stored; the clear secret is shown once.

use crate::{Actor, App, Error, Result};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use domain::user::normalise_login_email;
use domain::{Membership, Millis, Role, TokenId, User, UserId, Workspace, WorkspaceId};
use sha2::{Digest, Sha256};
use store::{SessionRecord, TokenRecord};

/// A successful sign-in.
#[derive(Debug, Clone)]
pub struct Login {
    /// The session secret, for the cookie.
    pub token: String,
    /// Who signed in, where.
    pub actor: Actor,
    /// When the session ends.
    pub expires_at: Millis,
}

/// A personal API token as listed (never its secret).
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// Its id.
    pub id: TokenId,
    /// What its owner called it.
    pub name: String,
    /// When it was made.
    pub created_at: Millis,
    /// When it was last used.
    pub last_used_at: Option<Millis>,
}

/// A token just created: the secret is shown this once.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The token as listed.
    pub info: TokenInfo,
    /// The secret to send as `Authorization: Bearer …`.
    pub secret: String,
}

impl From<TokenRecord> for TokenInfo {
    fn from(t: TokenRecord) -> Self {
        TokenInfo { id: t.id, name: t.name, created_at: t.created_at, last_used_at: t.last_used_at }
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 8;

/// A fresh random secret: 32 bytes as hex, after a prefix that says what it is.
pub(crate) fn random_secret(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    Ok(format!("{prefix}{}", store::hex(&bytes)))
}

fn hash_secret(secret: &str) -> String {
    store::hex(&Sha256::digest(secret.as_bytes()))
}

fn check_password_rules(password: &str, field: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(Error::invalid(field, format!("must be at least {MIN_PASSWORD} characters")));
    }
    if password.len() > 1024 {
        return Err(Error::invalid(field, "must be at most 1024 bytes"));
    }
    Ok(())
}

/// Hashes a password with argon2id off the async threads (it is deliberately slow).
pub(crate) async fn hash_password(password: &str, field: &str) -> Result<String> {
    check_password_rules(password, field)?;
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
    .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
}

async fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A valid hash of no password anyone knows, verified against when the e-mail is unknown
/// so a failed sign-in takes as long whether or not the account exists.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Vr0wWtB5ZnOp8N7HvMhJi/RJ8Q1XcB3T8Nwm6bCwJ0I";

impl App {
    /// Whether any workspace exists yet.
    pub async fn has_workspaces(&self) -> Result<bool> {
        let mut tx = self.store_().read().await?;
        Ok(tx.any_workspace().await?)
    }

    /// The oldest workspace, which the command line acts on unless told otherwise.
    pub async fn first_workspace(&self) -> Result<Option<WorkspaceId>> {
        let mut tx = self.store_().read().await?;
        Ok(tx.first_workspace().await?.map(|(id, _)| id))
    }

    /// On an empty database, creates the first workspace and its owner; otherwise `None`.
    pub async fn bootstrap(
        &self,
        workspace_name: &str,
        email: &str,
        name: &str,
        password: &str,
    ) -> Result<Option<(Workspace, User)>> {
        if self.has_workspaces().await? {
            return Ok(None);
        }
        self.create_workspace(workspace_name, email, name, password).await.map(Some)
    }

    /// Creates a workspace owned by the user with `email`, creating that user when new.
    pub async fn create_workspace(
        &self,
        workspace_name: &str,
        email: &str,
        name: &str,
        password: &str,
    ) -> Result<(Workspace, User)> {
        let ws_name = domain::inbox::validate_name(workspace_name, "workspace_name")?;
        let email = normalise_login_email(email, "email")?;
        let name = domain::inbox::validate_name(name, "name")?;
        let hash = hash_password(password, "password").await?;
        let now = self.now();
        let workspace = Workspace { id: WorkspaceId::new(), name: ws_name, created_at: now };
        let mut tx = self.store_().write().await?;
        let user = match tx.user_by_email(&email).await? {
            Some((user, _)) => user,
            None => {
                let user = User { id: UserId::new(), email, name, created_at: now };
                tx.insert_user(&user, &hash).await?;
                user
            }
        };
        tx.insert_workspace(&workspace).await?;
        tx.upsert_membership(workspace.id, user.id, Role::Owner, true, now).await?;
        tx.commit().await?;
        Ok((workspace, user))
    }

    /// Signs in with e-mail and password to the user's first active workspace.
    pub async fn login(&self, email: &str, password: &str) -> Result<Login> {
        let email = email.trim().to_lowercase();
        let mut tx = self.store_().read().await?;
        let found = tx.user_by_email(&email).await?;
        let Some((user, hash)) = found else {
            verify_password(password, DECOY_HASH).await;
            return Err(Error::BadCredentials);
        };
        if !verify_password(password, &hash).await {
            return Err(Error::BadCredentials);
        }
        let (workspace_id, role) = tx.workspaces_of(user.id).await?.into_iter().next().ok_or(Error::BadCredentials)?;
        drop(tx);
        let token = random_secret("cs_")?;
        let now = self.now();
        let record = SessionRecord { workspace_id, user_id: user.id, expires_at: now + self.config().session_ttl_ms };
        let mut tx = self.store_().write().await?;
        tx.insert_session(&hash_secret(&token), &record, now).await?;
        tx.delete_expired_sessions(now).await?;
        tx.commit().await?;
        Ok(Login { token, actor: Actor { workspace_id, user_id: user.id, role }, expires_at: record.expires_at })
    }

    /// Ends a session.
    pub async fn logout(&self, token: &str) -> Result<()> {
        let mut tx = self.store_().write().await?;
        tx.delete_session(&hash_secret(token)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn actor_for(&self, ws: WorkspaceId, user: UserId) -> Result<Actor> {
        let version = self.store_().access_version();
        let role = match self.inner.members.get(version, &(ws, user)) {
            Some(role) => role,
            None => {
                let mut tx = self.store_().query().await?;
                let role = tx.get_membership(ws, user).await?.filter(|m| m.active).map(|m| m.role);
                self.inner.members.put(version, (ws, user), role);
                role
            }
        };
        match role {
            Some(role) => Ok(Actor { workspace_id: ws, user_id: user, role }),
            None => Err(Error::Unauthenticated),
        }
    }

    /// The member behind a session secret.
    pub async fn authenticate_session(&self, token: &str) -> Result<Actor> {
        let hash = hash_secret(token);
        let version = self.store_().access_version();
        let session = match self.inner.sessions.get(version, &hash) {
            Some(s) => Some(s),
            None => {
                let mut tx = self.store_().query().await?;
                let found = tx.get_session(&hash).await?;
                if let Some(s) = &found {
                    self.inner.sessions.put(version, hash, s.clone());
                }
                found
            }
        };
        match session {
            Some(s) if s.expires_at > self.now() => self.actor_for(s.workspace_id, s.user_id).await,
            _ => Err(Error::Unauthenticated),
        }
    }

    /// The member behind a personal API token.
    pub async fn authenticate_token(&self, token: &str) -> Result<Actor> {
        let hash = hash_secret(token);
        let now = self.now();
        let version = self.store_().access_version();
        let found = match self.inner.tokens.get(version, &hash) {
            Some(record) => Some(record),
            None => {
                let mut tx = self.store_().query().await?;
                tx.find_token(&hash).await?
            }
        };
        let Some(mut record) = found else { return Err(Error::Unauthenticated) };
        // Recording every use would make each API call a write; a minute's precision is plenty.
        if record.last_used_at.is_none_or(|t| now - t > 60_000) {
            let mut tx = self.store_().write().await?;
            tx.use_token(&hash, now).await?;
            tx.commit().await?;
            record.last_used_at = Some(now);
        }
        let actor = self.actor_for(record.workspace_id, record.user_id).await?;
        self.inner.tokens.put(version, hash, record);
        Ok(actor)
    }

    /// The caller's own membership.
    pub async fn me(&self, actor: &Actor) -> Result<Membership> {
        let mut tx = self.store_().read().await?;
        tx.get_membership(actor.workspace_id, actor.user_id).await?.ok_or(Error::Unauthenticated)
    }

    /// Changes the caller's password after checking the current one; other sessions end.
    pub async fn change_password(&self, actor: &Actor, current: &str, new: &str) -> Result<()> {
        let hash = {
            let mut tx = self.store_().read().await?;
            tx.password_hash(actor.user_id).await?.ok_or(Error::Unauthenticated)?
        };
        if !verify_password(current, &hash).await {
            return Err(Error::invalid("current_password", "is not your current password"));
        }
        let new_hash = hash_password(new, "new_password").await?;
        let mut tx = self.store_().write().await?;
        tx.set_password_hash(actor.user_id, &new_hash).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates a personal API token for scripts.
    pub async fn create_token(&self, actor: &Actor, name: &str) -> Result<NewToken> {
        let name = domain::inbox::validate_name(name, "name")?;
        let secret = random_secret("ct_")?;
        let record = TokenRecord {
            id: TokenId::new(),
            workspace_id: actor.workspace_id,
            user_id: actor.user_id,
            name,
            created_at: self.now(),
            last_used_at: None,
        };
        let mut tx = self.store_().write().await?;
        tx.insert_token(&record, &hash_secret(&secret)).await?;
        tx.commit().await?;
        Ok(NewToken { info: record.into(), secret })
    }

    /// The caller's tokens, newest first.
    pub async fn list_tokens(&self, actor: &Actor) -> Result<Vec<TokenInfo>> {
        let mut tx = self.store_().read().await?;
        Ok(tx.list_tokens(actor.workspace_id, actor.user_id).await?.into_iter().map(Into::into).collect())
    }

    /// Revokes one of the caller's tokens.
    pub async fn revoke_token(&self, actor: &Actor, id: TokenId) -> Result<()> {
        let mut tx = self.store_().write().await?;
        if !tx.delete_token(actor.workspace_id, actor.user_id, id).await? {
            return Err(Error::NotFound { what: "token" });
        }
        tx.commit().await?;
        Ok(())
    }
}
