//! Settings › Teams: the list, creating a team with its members, and one team's page to
//! rename it, change its members or delete it.

use super::{Notice, admin_chrome, admins_only};
use crate::Shared;
use crate::ui::view::parse_id;
use crate::ui::{Chrome, FormErrors, UiActor, UiError, render};
use app::Actor;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::{Team, TeamId, UserId};
use std::collections::HashMap;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/settings/teams", get(list).post(create))
        .route("/settings/teams/{id}", get(show).post(update))
        .route("/settings/teams/{id}/delete", post(delete))
}

/// A team form as typed. Checkboxes repeat the `members` key, which a struct cannot hold,
/// so the form is read as pairs.
#[derive(Default)]
struct TeamForm {
    name: String,
    members: Vec<String>,
}

impl TeamForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> TeamForm {
        let mut form = TeamForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => form.name = v,
                "members" => form.members.push(v),
                _ => {}
            }
        }
        form
    }

    fn of(t: &Team) -> TeamForm {
        TeamForm { name: t.name.clone(), members: t.members.iter().map(ToString::to_string).collect() }
    }

    fn member_ids(&self) -> Result<Vec<UserId>, app::Error> {
        self.members
            .iter()
            .map(|m| m.parse().map_err(|_| app::Error::invalid("members", "pick members from the list")))
            .collect()
    }
}

/// A member checkbox: (user id, name, e-mail, checked).
struct MemberChoice {
    id: String,
    name: String,
    email: String,
    checked: bool,
}

async fn choices(state: &Shared, actor: &Actor, chosen: &[String]) -> Result<Vec<MemberChoice>, UiError> {
    Ok(state
        .app
        .list_members(actor)
        .await?
        .into_iter()
        .filter(|m| m.active)
        .map(|m| {
            let id = m.user.id.to_string();
            let checked = chosen.contains(&id);
            MemberChoice { id, name: m.user.name, email: m.user.email, checked }
        })
        .collect())
}

struct TeamRow {
    id: String,
    name: String,
    members: String,
}

#[derive(Template)]
#[template(path = "settings_teams.html")]
struct ListPage {
    chrome: Chrome,
    tab: &'static str,
    teams: Vec<TeamRow>,
    form: TeamForm,
    members: Vec<MemberChoice>,
    errors: FormErrors,
}

async fn list_page(state: &Shared, actor: &Actor, form: TeamForm, errors: FormErrors) -> Result<Response, UiError> {
    let chrome = admin_chrome(state, actor).await?;
    let names: HashMap<UserId, String> =
        state.app.list_members(actor).await?.into_iter().map(|m| (m.user.id, m.user.name)).collect();
    let teams = state
        .app
        .list_teams(actor)
        .await?
        .into_iter()
        .map(|t| TeamRow {
            id: t.id.to_string(),
            members: t.members.iter().filter_map(|u| names.get(u).cloned()).collect::<Vec<_>>().join(", "),
            name: t.name,
        })
        .collect();
    let members = choices(state, actor, &form.members).await?;
    render(&ListPage { chrome, tab: "teams", teams, form, members, errors })
}

async fn list(State(state): State<Shared>, UiActor(actor): UiActor) -> Result<Response, UiError> {
    list_page(&state, &actor, TeamForm::default(), FormErrors::none()).await
}

async fn create(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    let form = TeamForm::from_pairs(pairs);
    let attempt = match form.member_ids() {
        Ok(members) => state.app.create_team(&actor, &form.name, members).await,
        Err(e) => Err(e),
    };
    match attempt {
        Ok(_) => Ok(Redirect::to("/settings/teams").into_response()),
        Err(e) => {
            let errors = FormErrors::from_app(e, &["name", "members"])?;
            list_page(&state, &actor, form, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "settings_team.html")]
struct TeamPage {
    chrome: Chrome,
    tab: &'static str,
    id: String,
    title: String,
    form: TeamForm,
    members: Vec<MemberChoice>,
    errors: FormErrors,
    saved: bool,
}

async fn team_page(
    state: &Shared,
    actor: &Actor,
    team: &Team,
    form: TeamForm,
    errors: FormErrors,
    saved: bool,
) -> Result<Response, UiError> {
    let chrome = admin_chrome(state, actor).await?;
    let members = choices(state, actor, &form.members).await?;
    render(&TeamPage {
        chrome,
        tab: "teams",
        id: team.id.to_string(),
        title: team.name.clone(),
        form,
        members,
        errors,
        saved,
    })
}

async fn show(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    let team = state.app.get_team(&actor, parse_id::<TeamId>(&id, "team")?).await?;
    team_page(&state, &actor, &team, TeamForm::of(&team), FormErrors::none(), notice.shown()).await
}

async fn update(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    let team = state.app.get_team(&actor, parse_id::<TeamId>(&id, "team")?).await?;
    let form = TeamForm::from_pairs(pairs);
    let attempt = match form.member_ids() {
        Ok(members) => state.app.update_team(&actor, team.id, Some(form.name.clone()), Some(members)).await,
        Err(e) => Err(e),
    };
    match attempt {
        Ok(t) => Ok(Redirect::to(&format!("/settings/teams/{}?saved=1", t.id)).into_response()),
        Err(e) => {
            let errors = FormErrors::from_app(e, &["name", "members"])?;
            team_page(&state, &actor, &team, form, errors, false).await
        }
    }
}

async fn delete(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    state.app.delete_team(&actor, parse_id::<TeamId>(&id, "team")?).await?;
    Ok(Redirect::to("/settings/teams").into_response())
}
