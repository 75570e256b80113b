//! Settings › SLAs: the policies (the default one applies to every conversation), each with
//! its name, warning share, targets and business hours (JSON, as the API takes them), a new
//! policy from the standard targets, and deleting one that is not the default.

use super::{Notice, admin_chrome, admins_only};
use crate::Shared;
use crate::ui::view::parse_id;
use crate::ui::{Chrome, FormErrors, UiActor, UiError, render};
use app::{Actor, SlaPolicyInput};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::{SlaPolicy, SlaPolicyId};
use serde::Deserialize;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/settings/sla", get(show).post(create))
        .route("/settings/sla/{id}", post(update))
        .route("/settings/sla/{id}/delete", post(delete))
}

#[derive(Deserialize, Default, Clone)]
struct PolicyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    warn_at: String,
    #[serde(default)]
    make_default: Option<String>,
    #[serde(default)]
    targets: String,
    #[serde(default)]
    calendar: String,
}

impl PolicyForm {
    fn of(p: &SlaPolicy, is_default: bool) -> Self {
        PolicyForm {
            name: p.name.clone(),
            warn_at: p.warn_at.to_string(),
            make_default: is_default.then(|| "on".into()),
            targets: serde_json::to_string_pretty(&p.targets).unwrap_or_default(),
            calendar: serde_json::to_string_pretty(&p.calendar.spec()).unwrap_or_default(),
        }
    }

    fn input(&self) -> Result<SlaPolicyInput, app::Error> {
        let warn_at = match self.warn_at.trim() {
            "" => None,
            w => Some(w.parse().map_err(|_| app::Error::invalid("warn_at", "must be a number between 0 and 1"))?),
        };
        let targets = match self.targets.trim() {
            "" => None,
            t => Some(serde_json::from_str(t).map_err(|e| app::Error::invalid("targets", format!("not valid: {e}")))?),
        };
        let calendar = match self.calendar.trim() {
            "" => None,
            c => Some(serde_json::from_str(c).map_err(|e| app::Error::invalid("calendar", format!("not valid: {e}")))?),
        };
        Ok(SlaPolicyInput { name: self.name.clone(), targets, calendar, warn_at })
    }

    fn is_default(&self) -> bool {
        self.make_default.is_some()
    }
}

struct PolicyRow {
    id: String,
    form: PolicyForm,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "settings_sla.html")]
struct Page {
    chrome: Chrome,
    tab: &'static str,
    policies: Vec<PolicyRow>,
    new_form: PolicyForm,
    new_errors: FormErrors,
    saved: bool,
}

const FIELDS: &[&str] = &["name", "warn_at", "targets", "calendar"];

async fn page(
    state: &Shared,
    actor: &Actor,
    editing: Option<(SlaPolicyId, PolicyForm, FormErrors)>,
    new: Option<(PolicyForm, FormErrors)>,
    saved: bool,
) -> Result<Response, UiError> {
    let chrome = admin_chrome(state, actor).await?;
    let policies = state
        .app
        .sla_policies(actor)
        .await?
        .into_iter()
        .map(|(p, d)| match &editing {
            Some((id, form, errors)) if *id == p.id => {
                PolicyRow { id: p.id.to_string(), form: form.clone(), errors: errors.clone() }
            }
            _ => PolicyRow { id: p.id.to_string(), form: PolicyForm::of(&p, d), errors: FormErrors::none() },
        })
        .collect();
    let (new_form, new_errors) = new.unwrap_or_default();
    render(&Page { chrome, tab: "sla", policies, new_form, new_errors, saved })
}

async fn show(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Query(n): Query<Notice>,
) -> Result<Response, UiError> {
    page(&state, &actor, None, None, n.shown()).await
}

/// `targets[0].first_response_minutes` belongs to the textarea `targets`, `calendar.week`
/// to `calendar`.
fn errors_of(e: app::Error) -> Result<FormErrors, UiError> {
    FormErrors::from_app(e, FIELDS)
}

async fn create(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Form(form): Form<PolicyForm>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    let attempt = async { state.app.create_sla_policy(&actor, form.input()?, form.is_default()).await };
    match attempt.await {
        Ok(_) => Ok(Redirect::to("/settings/sla?saved=1").into_response()),
        Err(e) => {
            let errors = errors_of(e)?;
            page(&state, &actor, None, Some((form, errors)), false).await
        }
    }
}

async fn update(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(form): Form<PolicyForm>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    let id: SlaPolicyId = parse_id(&id, "SLA policy")?;
    let attempt = async {
        let input = form.input()?;
        state.app.update_sla_policy(&actor, id, Some(input.name.clone()), input, form.is_default()).await
    };
    match attempt.await {
        Ok(_) => Ok(Redirect::to("/settings/sla?saved=1").into_response()),
        Err(e) => {
            let errors = errors_of(e)?;
            page(&state, &actor, Some((id, form, errors)), None, false).await
        }
    }
}

async fn delete(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    state.app.delete_sla_policy(&actor, parse_id(&id, "SLA policy")?).await?;
    Ok(Redirect::to("/settings/sla?saved=1").into_response())
}
