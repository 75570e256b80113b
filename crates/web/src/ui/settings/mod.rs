//! `/settings`: what admins and owners configure — the workspace's name, inboxes, teams,
//! agents, the label catalogue and routing. Agents get a 403 page for every settings route; the
//! use cases check the role again, so this is about a clear page, not about safety.

mod agents;
mod inbox_email;
mod inboxes;
mod labels;
mod routing;
mod rules;
mod sla;
mod sunset;
mod teams;

use super::{Chrome, FormErrors, UiActor, UiError, render};
use crate::Shared;
use app::Actor;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/settings", get(index).post(rename_workspace))
        .merge(inboxes::routes())
        .merge(teams::routes())
        .merge(agents::routes())
        .merge(labels::routes())
        .merge(routing::routes())
        .merge(sunset::routes())
        .merge(rules::routes())
        .merge(sla::routes())
}

/// Refuses agents with a page that says why.
fn admins_only(actor: &Actor) -> Result<(), UiError> {
    if actor.role.can_administer() {
        Ok(())
    } else {
        Err(UiError::new(
            StatusCode::FORBIDDEN,
            "Only admins and owners can open the settings. Ask one of them for help.",
        ))
    }
}

/// The frame of a settings page, after the role check.
async fn admin_chrome(state: &Shared, actor: &Actor) -> Result<Chrome, UiError> {
    admins_only(actor)?;
    Chrome::load(state, actor, "settings").await
}

/// Reads a `?saved=1`-style notice flag.
#[derive(Deserialize, Default)]
struct Notice {
    saved: Option<String>,
}

impl Notice {
    fn shown(&self) -> bool {
        self.saved.is_some()
    }
}

#[derive(Template)]
#[template(path = "settings.html")]
struct IndexPage {
    chrome: Chrome,
    tab: &'static str,
    workspace: String,
    errors: FormErrors,
    saved: bool,
    inboxes: usize,
    teams: usize,
    members: usize,
    labels: usize,
}

async fn index_page(
    state: &Shared,
    actor: &Actor,
    workspace: Option<String>,
    errors: FormErrors,
    saved: bool,
) -> Result<Response, UiError> {
    let chrome = admin_chrome(state, actor).await?;
    let workspace = match workspace {
        Some(typed) => typed,
        None => state.app.workspace(actor).await?.name,
    };
    render(&IndexPage {
        tab: "",
        workspace,
        errors,
        saved,
        inboxes: chrome.inboxes.len(),
        teams: chrome.teams.len(),
        members: state.app.list_members(actor).await?.len(),
        labels: state.app.list_labels(actor).await?.len(),
        chrome,
    })
}

async fn index(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Query(notice): Query<Notice>,
) -> Result<Response, UiError> {
    index_page(&state, &actor, None, FormErrors::none(), notice.shown()).await
}

#[derive(Deserialize)]
struct WorkspaceForm {
    #[serde(default)]
    name: String,
}

async fn rename_workspace(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Form(form): Form<WorkspaceForm>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    match state.app.rename_workspace(&actor, &form.name).await {
        Ok(_) => Ok(Redirect::to("/settings?saved=1").into_response()),
        Err(e) => {
            let errors = FormErrors::from_app(e, &["name"])?;
            index_page(&state, &actor, Some(form.name), errors, false).await
        }
    }
}
