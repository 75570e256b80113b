//! Settings › Rules: the automation rules in run order, each editable (name, on/off,
//! position, trigger, and its conditions and actions as JSON, as the API takes them), a new
//! rule, and deleting one.

use super::{Notice, admin_chrome, admins_only};
use crate::Shared;
use crate::ui::view::parse_id;
use crate::ui::{Chrome, FormErrors, UiActor, UiError, render};
use app::{Actor, RuleInput};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::{Rule, RuleId, Trigger};
use serde::Deserialize;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/settings/rules", get(show).post(create))
        .route("/settings/rules/{id}", post(update))
        .route("/settings/rules/{id}/delete", post(delete))
}

/// A rule form as typed.
#[derive(Deserialize, Default, Clone)]
struct RuleForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    position: String,
    #[serde(default)]
    trigger: String,
    #[serde(default)]
    conditions: String,
    #[serde(default)]
    actions: String,
}

impl RuleForm {
    fn of(r: &Rule) -> Self {
        RuleForm {
            name: r.name.clone(),
            enabled: r.enabled.then(|| "on".into()),
            position: r.position.to_string(),
            trigger: r.trigger.to_string(),
            conditions: serde_json::to_string_pretty(&r.conditions).unwrap_or_default(),
            actions: serde_json::to_string_pretty(&r.actions).unwrap_or_default(),
        }
    }

    fn blank() -> Self {
        RuleForm {
            enabled: Some("on".into()),
            trigger: Trigger::ConversationCreated.to_string(),
            conditions: "[]".into(),
            actions: r#"[{"type": "add_label", "label": "new"}]"#.into(),
            ..Default::default()
        }
    }

    fn input(&self) -> Result<RuleInput, app::Error> {
        let trigger: Trigger = self.trigger.parse().map_err(|e: domain::DomainError| e.in_field("trigger"))?;
        let position = match self.position.trim() {
            "" => None,
            p => Some(p.parse().map_err(|_| app::Error::invalid("position", "must be a whole number"))?),
        };
        Ok(RuleInput {
            name: self.name.clone(),
            enabled: self.enabled.is_some(),
            position,
            trigger,
            conditions: json("conditions", &self.conditions)?,
            actions: json("actions", &self.actions)?,
        })
    }

    fn checked(&self) -> bool {
        self.enabled.is_some()
    }
}

/// A JSON list typed into a textarea (empty: none).
fn json<T: serde::de::DeserializeOwned>(field: &'static str, text: &str) -> Result<Vec<T>, app::Error> {
    let text = if text.trim().is_empty() { "[]" } else { text };
    serde_json::from_str(text).map_err(|e| app::Error::invalid(field, format!("not valid: {e}")))
}

struct RuleRow {
    id: String,
    form: RuleForm,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "settings_rules.html")]
struct Page {
    chrome: Chrome,
    tab: &'static str,
    rules: Vec<RuleRow>,
    new_form: RuleForm,
    new_errors: FormErrors,
    triggers: Vec<&'static str>,
    saved: bool,
}

const FIELDS: &[&str] = &["name", "position", "trigger", "conditions", "actions"];

async fn page(
    state: &Shared,
    actor: &Actor,
    editing: Option<(RuleId, RuleForm, FormErrors)>,
    new: Option<(RuleForm, FormErrors)>,
    saved: bool,
) -> Result<Response, UiError> {
    let chrome = admin_chrome(state, actor).await?;
    let rules = state
        .app
        .list_rules(actor)
        .await?
        .into_iter()
        .map(|r| match &editing {
            Some((id, form, errors)) if *id == r.id => {
                RuleRow { id: r.id.to_string(), form: form.clone(), errors: errors.clone() }
            }
            _ => RuleRow { id: r.id.to_string(), form: RuleForm::of(&r), errors: FormErrors::none() },
        })
        .collect();
    let (new_form, new_errors) = new.unwrap_or_else(|| (RuleForm::blank(), FormErrors::none()));
    let triggers = Trigger::ALL.iter().map(|t| t.as_str()).collect();
    render(&Page { chrome, tab: "rules", rules, new_form, new_errors, triggers, saved })
}

async fn show(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Query(n): Query<Notice>,
) -> Result<Response, UiError> {
    page(&state, &actor, None, None, n.shown()).await
}

async fn create(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Form(form): Form<RuleForm>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    let attempt = async { state.app.create_rule(&actor, form.input()?).await };
    match attempt.await {
        Ok(_) => Ok(Redirect::to("/settings/rules?saved=1").into_response()),
        Err(e) => {
            let errors = FormErrors::from_app(e, FIELDS)?;
            page(&state, &actor, None, Some((form, errors)), false).await
        }
    }
}

async fn update(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(form): Form<RuleForm>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    let id: RuleId = parse_id(&id, "rule")?;
    let attempt = async { state.app.update_rule(&actor, id, form.input()?).await };
    match attempt.await {
        Ok(_) => Ok(Redirect::to("/settings/rules?saved=1").into_response()),
        Err(e) => {
            let errors = FormErrors::from_app(e, FIELDS)?;
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
    state.app.delete_rule(&actor, parse_id(&id, "rule")?).await?;
    Ok(Redirect::to("/settings/rules?saved=1").into_response())
}
