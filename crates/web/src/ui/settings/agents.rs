//! Settings › Agents: everyone in the workspace with their role; adding someone with a
//! temporary password (they change it under Account), changing a role, and deactivating or
//! reactivating a member. Owners are changed only by owners (the app enforces it).

use super::{admin_chrome, admins_only};
use crate::Shared;
use crate::ui::view::parse_id;
use crate::ui::{Chrome, FormErrors, UiActor, UiError, render};
use app::{Actor, MemberInput};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::{Role, UserId};
use serde::Deserialize;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/settings/agents", get(list).post(create))
        .route("/settings/agents/{id}/role", post(change_role))
        .route("/settings/agents/{id}/active", post(set_active))
}

#[derive(Deserialize, Default)]
struct AgentForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

struct MemberRow {
    id: String,
    name: String,
    email: String,
    /// (role, selected)
    roles: Vec<(String, bool)>,
    active: bool,
    is_me: bool,
}

#[derive(Template)]
#[template(path = "settings_agents.html")]
struct AgentsPage {
    chrome: Chrome,
    tab: &'static str,
    members: Vec<MemberRow>,
    form: AgentForm,
    roles: Vec<(String, bool)>,
    errors: FormErrors,
    /// A failed change to a listed member, shown above the list.
    list_error: Option<String>,
    added: Option<String>,
}

fn role_options(chosen: &str) -> Vec<(String, bool)> {
    Role::ALL.iter().map(|r| (r.to_string(), r.as_str() == chosen)).collect()
}

async fn page(
    state: &Shared,
    actor: &Actor,
    form: AgentForm,
    errors: FormErrors,
    list_error: Option<String>,
    added: Option<String>,
) -> Result<Response, UiError> {
    let chrome = admin_chrome(state, actor).await?;
    let members = state
        .app
        .list_members(actor)
        .await?
        .into_iter()
        .map(|m| MemberRow {
            id: m.user.id.to_string(),
            roles: role_options(m.role.as_str()),
            name: m.user.name,
            email: m.user.email,
            active: m.active,
            is_me: m.user.id == actor.user_id,
        })
        .collect();
    let roles = role_options(&form.role);
    render(&AgentsPage { chrome, tab: "agents", members, form, roles, errors, list_error, added })
}

#[derive(Deserialize)]
struct AddedQuery {
    added: Option<String>,
}

async fn list(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Query(q): Query<AddedQuery>,
) -> Result<Response, UiError> {
    let form = AgentForm { role: Role::Agent.to_string(), ..Default::default() };
    page(&state, &actor, form, FormErrors::none(), None, q.added).await
}

async fn create(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Form(form): Form<AgentForm>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    let attempt = match form.role.parse::<Role>() {
        Ok(role) => {
            let input = MemberInput {
                email: form.email.clone(),
                name: form.name.clone(),
                password: form.password.clone(),
                role,
            };
            state.app.create_member(&actor, input).await
        }
        Err(e) => Err(app::Error::from(e)),
    };
    match attempt {
        Ok(m) => {
            let to = format!("/settings/agents?added={}", crate::ui::session::encode(&m.user.email));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            let errors = FormErrors::from_app(e, &["email", "name", "role", "password"])?;
            // The temporary password is shown as typed: the admin passes it on, it is not theirs.
            page(&state, &actor, form, errors, None, None).await
        }
    }
}

/// Runs a change to a listed member; a refusal is shown above the list.
async fn change(
    state: &Shared,
    actor: &Actor,
    raw_id: &str,
    role: Option<Role>,
    active: Option<bool>,
) -> Result<Response, UiError> {
    admins_only(actor)?;
    let user: UserId = parse_id(raw_id, "member")?;
    match state.app.update_member(actor, user, role, active).await {
        Ok(_) => Ok(Redirect::to("/settings/agents").into_response()),
        Err(e) => {
            let errors = FormErrors::from_app(e, &[])?;
            let message = errors.top().map(str::to_string);
            let form = AgentForm { role: Role::Agent.to_string(), ..Default::default() };
            page(state, actor, form, FormErrors::none(), message, None).await
        }
    }
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
}

async fn change_role(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(form): Form<RoleForm>,
) -> Result<Response, UiError> {
    let role: Role = form.role.parse().map_err(app::Error::from)?;
    change(&state, &actor, &id, Some(role), None).await
}

#[derive(Deserialize)]
struct ActiveForm {
    #[serde(default)]
    active: String,
}

async fn set_active(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(form): Form<ActiveForm>,
) -> Result<Response, UiError> {
    change(&state, &actor, &id, None, Some(form.active == "true")).await
}
