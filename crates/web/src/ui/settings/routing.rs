//! Settings › Routing: channel weights, the idle discount, default capacity, auto-away and
//! re-queueing; each inbox's and team's assignment policy; each agent's own capacity.

use super::{Notice, admin_chrome, admins_only};
use crate::Shared;
use crate::ui::view::parse_id;
use crate::ui::{Chrome, FormErrors, UiActor, UiError, render};
use app::Actor;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::{AssignmentPolicy, ChannelKind, QueueScope, RoutingSettings};
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/settings/routing", get(show).post(save))
        .route("/settings/routing/policy", post(set_policy))
        .route("/settings/routing/capacity", post(set_capacity))
}

/// The settings form as typed: every value kept as text so a mistake is shown as typed.
struct SettingsForm {
    weights: Vec<(String, String)>,
    idle_after_minutes: String,
    idle_factor: String,
    default_max_load: String,
    auto_away_minutes: String,
    requeue_after_minutes: String,
}

impl SettingsForm {
    fn of(s: &RoutingSettings) -> Self {
        let opt = |m: Option<u32>| m.map(|m| m.to_string()).unwrap_or_default();
        SettingsForm {
            weights: ChannelKind::ALL
                .iter()
                .map(|k| (k.to_string(), s.capacity.weights.weight(*k).to_string()))
                .collect(),
            idle_after_minutes: s.capacity.idle_after_minutes.to_string(),
            idle_factor: s.capacity.idle_factor.to_string(),
            default_max_load: s.capacity.default_max_load.to_string(),
            auto_away_minutes: opt(s.auto_away_minutes),
            requeue_after_minutes: opt(s.requeue_after_minutes),
        }
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = SettingsForm::of(&RoutingSettings::default());
        let map: HashMap<String, String> = pairs.into_iter().collect();
        for (kind, value) in &mut f.weights {
            *value = map.get(&format!("weight_{kind}")).cloned().unwrap_or_default();
        }
        let get = |k: &str| map.get(k).cloned().unwrap_or_default();
        f.idle_after_minutes = get("idle_after_minutes");
        f.idle_factor = get("idle_factor");
        f.default_max_load = get("default_max_load");
        f.auto_away_minutes = get("auto_away_minutes");
        f.requeue_after_minutes = get("requeue_after_minutes");
        f
    }

    /// The settings, or the first field that is not a number.
    fn parse(&self) -> Result<RoutingSettings, FormErrors> {
        let num = |field: &str, v: &str| v.trim().parse::<f64>().map_err(|_| FormErrors::on(field, "Must be a number"));
        let minutes = |field: &str, v: &str| {
            v.trim().parse::<u32>().map_err(|_| FormErrors::on(field, "Must be a whole number of minutes"))
        };
        let optional = |field: &str, v: &str| if v.trim().is_empty() { Ok(None) } else { minutes(field, v).map(Some) };
        let mut s = RoutingSettings::default();
        let w = &mut s.capacity.weights;
        for (kind, value) in &self.weights {
            let field = format!("weight_{kind}");
            let v = num(&field, value)?;
            match kind.parse::<ChannelKind>() {
                Ok(ChannelKind::Api) => w.api = v,
                Ok(ChannelKind::Email) => w.email = v,
                Ok(ChannelKind::Widget) => w.widget = v,
                Ok(ChannelKind::Sms) => w.sms = v,
                Ok(ChannelKind::Whatsapp) => w.whatsapp = v,
                Ok(ChannelKind::Telegram) => w.telegram = v,
                Ok(ChannelKind::Messenger) => w.messenger = v,
                Ok(ChannelKind::Voice) => w.voice = v,
                Err(_) => {}
            }
        }
        s.capacity.idle_after_minutes = minutes("idle_after_minutes", &self.idle_after_minutes)?;
        s.capacity.idle_factor = num("idle_factor", &self.idle_factor)?;
        s.capacity.default_max_load = num("default_max_load", &self.default_max_load)?;
        s.auto_away_minutes = optional("auto_away_minutes", &self.auto_away_minutes)?;
        s.requeue_after_minutes = optional("requeue_after_minutes", &self.requeue_after_minutes)?;
        Ok(s)
    }
}

struct PolicyRow {
    scope: &'static str,
    id: String,
    name: String,
    policies: Vec<(&'static str, bool)>,
}

struct CapacityRow {
    id: String,
    name: String,
    own: String,
    presence: String,
}

#[derive(Template)]
#[template(path = "settings_routing.html")]
struct Page {
    chrome: Chrome,
    tab: &'static str,
    form: SettingsForm,
    errors: FormErrors,
    saved: bool,
    policies: Vec<PolicyRow>,
    agents: Vec<CapacityRow>,
    default_max_load: String,
}

async fn page(
    state: &Shared,
    actor: &Actor,
    form: Option<SettingsForm>,
    errors: FormErrors,
    saved: bool,
) -> Result<Response, UiError> {
    let chrome = admin_chrome(state, actor).await?;
    let current = state.app.routing_settings(actor).await?;
    let policies = state
        .app
        .assignment_policies(actor)
        .await?
        .into_iter()
        .map(|p| {
            let (scope, id) = match p.scope {
                QueueScope::Inbox(i) => ("inbox", i.to_string()),
                QueueScope::Team(t) => ("team", t.to_string()),
            };
            let policies = AssignmentPolicy::ALL.iter().map(|v| (v.as_str(), *v == p.policy)).collect();
            PolicyRow { scope, id, name: p.name, policies }
        })
        .collect();
    let agents = state
        .app
        .agent_statuses(actor)
        .await?
        .into_iter()
        .map(|a| CapacityRow {
            id: a.user_id.to_string(),
            name: a.name,
            own: a.own_max_load.map(|m| m.to_string()).unwrap_or_default(),
            presence: a.presence.to_string(),
        })
        .collect();
    render(&Page {
        chrome,
        tab: "routing",
        form: form.unwrap_or_else(|| SettingsForm::of(&current)),
        errors,
        saved,
        policies,
        agents,
        default_max_load: current.capacity.default_max_load.to_string(),
    })
}

async fn show(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Query(n): Query<Notice>,
) -> Result<Response, UiError> {
    page(&state, &actor, None, FormErrors::none(), n.shown()).await
}

const FIELDS: &[&str] =
    &["idle_after_minutes", "idle_factor", "default_max_load", "auto_away_minutes", "requeue_after_minutes"];

async fn save(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    let form = SettingsForm::from_pairs(pairs);
    let settings = match form.parse() {
        Ok(s) => s,
        Err(errors) => return page(&state, &actor, Some(form), errors, false).await,
    };
    match state.app.set_routing_settings(&actor, settings).await {
        Ok(_) => Ok(Redirect::to("/settings/routing?saved=1").into_response()),
        Err(e) => {
            // `capacity.weights.email` belongs to the input `weight_email`.
            let e = match e {
                app::Error::Invalid { field, message } => {
                    let field = field.strip_prefix("capacity.").unwrap_or(&field).replace("weights.", "weight_");
                    app::Error::Invalid { field, message }
                }
                other => other,
            };
            let mut fields: Vec<String> = FIELDS.iter().map(|f| f.to_string()).collect();
            fields.extend(ChannelKind::ALL.iter().map(|k| format!("weight_{k}")));
            let names: Vec<&str> = fields.iter().map(String::as_str).collect();
            let errors = FormErrors::from_app(e, &names)?;
            page(&state, &actor, Some(form), errors, false).await
        }
    }
}

#[derive(Deserialize)]
struct PolicyForm {
    #[serde(default)]
    scope: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    policy: String,
}

async fn set_policy(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Form(form): Form<PolicyForm>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    let scope = match form.scope.as_str() {
        "team" => QueueScope::Team(parse_id(&form.id, "team")?),
        _ => QueueScope::Inbox(parse_id(&form.id, "inbox")?),
    };
    let policy: AssignmentPolicy = form.policy.parse().map_err(|e: domain::DomainError| app::Error::from(e))?;
    state.app.set_assignment_policy(&actor, scope, policy).await?;
    Ok(Redirect::to("/settings/routing?saved=1").into_response())
}

#[derive(Deserialize)]
struct CapacityForm {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    max_load: String,
}

async fn set_capacity(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Form(form): Form<CapacityForm>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    let user = parse_id(&form.user_id, "user")?;
    let max_load = match form.max_load.trim() {
        "" => None,
        v => Some(v.parse::<f64>().map_err(|_| app::Error::invalid("max_load", "must be a number"))?),
    };
    state.app.set_agent_capacity(&actor, user, max_load).await?;
    Ok(Redirect::to("/settings/routing?saved=1").into_response())
}
