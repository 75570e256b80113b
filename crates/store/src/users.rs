//! Users, memberships, sign-in sessions and personal API tokens. Secrets are stored only
//! as hashes: a leaked database does not let anyone sign in.

mod presence;

use crate::rows::parse;
use crate::{Result, StoreError, Tx, run};
use domain::{Membership, Millis, TokenId, User, UserId, WorkspaceId};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    created_at: i64,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User { id: UserId(r.id), email: r.email, name: r.name, created_at: r.created_at }
    }
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    workspace_id: Uuid,
    id: Uuid,
    email: String,
    name: String,
    created_at: i64,
    role: String,
    active: bool,
}

impl TryFrom<MemberRow> for Membership {
    type Error = StoreError;
    fn try_from(r: MemberRow) -> Result<Self> {
        Ok(Membership {
            workspace_id: WorkspaceId(r.workspace_id),
            user: User { id: UserId(r.id), email: r.email, name: r.name, created_at: r.created_at },
            role: parse(&r.role)?,
            active: r.active,
        })
    }
}

const MEMBER_COLS: &str = "SELECT m.workspace_id, u.id, u.email, u.name, u.created_at, m.role, m.active \
     FROM memberships m JOIN users u ON u.id = m.user_id";

/// A stored sign-in session.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// The workspace it signs in to.
    pub workspace_id: WorkspaceId,
    /// The user.
    pub user_id: UserId,
    /// When it stops working.
    pub expires_at: Millis,
}

/// A stored personal API token (never its secret).
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// Its id.
    pub id: TokenId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Its owner.
    pub user_id: UserId,
    /// What its owner called it.
    pub name: String,
    /// When it was made.
    pub created_at: Millis,
    /// When it was last used.
    pub last_used_at: Option<Millis>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Uuid,
    workspace_id: Uuid,
    user_id: Uuid,
    name: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl From<TokenRow> for TokenRecord {
    fn from(r: TokenRow) -> Self {
        TokenRecord {
            id: TokenId(r.id),
            workspace_id: WorkspaceId(r.workspace_id),
            user_id: UserId(r.user_id),
            name: r.name,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        }
    }
}

impl Tx {
    /// Inserts a user; `Conflict { field: "email" }` when the e-mail is taken.
    pub async fn insert_user(&mut self, u: &User, password_hash: &str) -> Result<()> {
        let q = "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)";
        run!(self, |c| sqlx::query(q)
            .bind(u.id.0)
            .bind(&u.email)
            .bind(&u.name)
            .bind(password_hash)
            .bind(u.created_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))
        .map_err(StoreError::unique("email"))?;
        Ok(())
    }

    /// A user and their password hash, by sign-in e-mail.
    pub async fn user_by_email(&mut self, email: &str) -> Result<Option<(User, String)>> {
        let q = "SELECT id, email, name, created_at, password_hash FROM users WHERE email = $1";
        let row: Option<(Uuid, String, String, i64, String)> =
            run!(self, |c| sqlx::query_as(q).bind(email).fetch_optional(c).await)?;
        Ok(row.map(|(id, email, name, created_at, hash)| (User { id: UserId(id), email, name, created_at }, hash)))
    }

    /// A user's password hash.
    pub async fn password_hash(&mut self, user: UserId) -> Result<Option<String>> {
        let q = "SELECT password_hash FROM users WHERE id = $1";
        Ok(run!(self, |c| sqlx::query_scalar(q).bind(user.0).fetch_optional(c).await)?)
    }

    /// Replaces a user's password hash.
    pub async fn set_password_hash(&mut self, user: UserId, hash: &str) -> Result<()> {
        self.access_changes();
        run!(self, |c| sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user.0)
            .bind(hash)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A user by id.
    pub async fn get_user(&mut self, id: UserId) -> Result<Option<User>> {
        let q = "SELECT id, email, name, created_at FROM users WHERE id = $1";
        let row: Option<UserRow> = run!(self, |c| sqlx::query_as(q).bind(id.0).fetch_optional(c).await)?;
        Ok(row.map(Into::into))
    }

    /// Adds a member, or changes their role and active flag.
    pub async fn upsert_membership(
        &mut self,
        ws: WorkspaceId,
        user: UserId,
        role: domain::Role,
        active: bool,
        now: Millis,
    ) -> Result<()> {
        self.access_changes();
        let q = "INSERT INTO memberships (workspace_id, user_id, role, active, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role, active = excluded.active";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(user.0)
            .bind(role.as_str())
            .bind(active)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A member of a workspace.
    pub async fn get_membership(&mut self, ws: WorkspaceId, user: UserId) -> Result<Option<Membership>> {
        let q = format!("{MEMBER_COLS} WHERE m.workspace_id = $1 AND m.user_id = $2");
        let row: Option<MemberRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(user.0)
            .fetch_optional(c)
            .await)?;
        row.map(Membership::try_from).transpose()
    }

    /// Every member of a workspace, by name.
    pub async fn list_members(&mut self, ws: WorkspaceId) -> Result<Vec<Membership>> {
        let q = format!("{MEMBER_COLS} WHERE m.workspace_id = $1 ORDER BY u.name, u.id");
        let rows: Vec<MemberRow> =
            run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str())).bind(ws.0).fetch_all(c).await)?;
        crate::rows::collect(rows, Membership::try_from)
    }

    /// Stores a session under the hash of its token.
    pub async fn insert_session(&mut self, token_hash: &str, s: &SessionRecord, now: Millis) -> Result<()> {
        let q = "INSERT INTO sessions (token_hash, workspace_id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
        run!(self, |c| sqlx::query(q)
            .bind(token_hash)
            .bind(s.workspace_id.0)
            .bind(s.user_id.0)
            .bind(now)
            .bind(s.expires_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The session stored under a token hash.
    pub async fn get_session(&mut self, token_hash: &str) -> Result<Option<SessionRecord>> {
        let q = "SELECT workspace_id, user_id, expires_at FROM sessions WHERE token_hash = $1";
        let row: Option<(Uuid, Uuid, i64)> =
            run!(self, |c| sqlx::query_as(q).bind(token_hash).fetch_optional(c).await)?;
        Ok(row.map(|(w, u, e)| SessionRecord { workspace_id: WorkspaceId(w), user_id: UserId(u), expires_at: e }))
    }

    /// Ends a session.
    pub async fn delete_session(&mut self, token_hash: &str) -> Result<()> {
        self.access_changes();
        run!(self, |c| sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Ends every session of a user in a workspace except `keep` (after a password change).
    pub async fn delete_sessions_of(&mut self, ws: WorkspaceId, user: UserId, keep: Option<&str>) -> Result<()> {
        self.access_changes();
        let q = "DELETE FROM sessions WHERE workspace_id = $1 AND user_id = $2 AND token_hash <> $3";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(user.0)
            .bind(keep.unwrap_or(""))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Forgets sessions that expired before `now`.
    pub async fn delete_expired_sessions(&mut self, now: Millis) -> Result<u64> {
        let r = run!(self, |c| sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(r)
    }

    /// Stores a personal API token under the hash of its secret.
    pub async fn insert_token(&mut self, t: &TokenRecord, token_hash: &str) -> Result<()> {
        let q = "INSERT INTO api_tokens (workspace_id, id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
        run!(self, |c| sqlx::query(q)
            .bind(t.workspace_id.0)
            .bind(t.id.0)
            .bind(t.user_id.0)
            .bind(&t.name)
            .bind(token_hash)
            .bind(t.created_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The token whose secret hashes to `token_hash`.
    pub async fn find_token(&mut self, token_hash: &str) -> Result<Option<TokenRecord>> {
        let q =
            "SELECT id, workspace_id, user_id, name, created_at, last_used_at FROM api_tokens WHERE token_hash = $1";
        let row: Option<TokenRow> = run!(self, |c| sqlx::query_as(q).bind(token_hash).fetch_optional(c).await)?;
        Ok(row.map(Into::into))
    }

    /// The token whose secret hashes to `token_hash`, marking it used.
    pub async fn use_token(&mut self, token_hash: &str, now: Millis) -> Result<Option<TokenRecord>> {
        let q = "UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1 \
                 RETURNING id, workspace_id, user_id, name, created_at, last_used_at";
        let row: Option<TokenRow> =
            run!(self, |c| sqlx::query_as(q).bind(token_hash).bind(now).fetch_optional(c).await)?;
        Ok(row.map(Into::into))
    }

    /// A user's tokens in a workspace, newest first.
    pub async fn list_tokens(&mut self, ws: WorkspaceId, user: UserId) -> Result<Vec<TokenRecord>> {
        let q = "SELECT id, workspace_id, user_id, name, created_at, last_used_at FROM api_tokens \
                 WHERE workspace_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC";
        let rows: Vec<TokenRow> = run!(self, |c| sqlx::query_as(q).bind(ws.0).bind(user.0).fetch_all(c).await)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Deletes one of a user's tokens; false when there was none.
    pub async fn delete_token(&mut self, ws: WorkspaceId, user: UserId, id: TokenId) -> Result<bool> {
        self.access_changes();
        let q = "DELETE FROM api_tokens WHERE workspace_id = $1 AND user_id = $2 AND id = $3";
        let r = run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(user.0)
            .bind(id.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(r > 0)
    }
}
