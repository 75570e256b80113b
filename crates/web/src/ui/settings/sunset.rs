//! Settings › Inboxes › Sunset: the notice a retiring inbox sends (closing date, the
//! alternatives, the opening words), a preview of it, and the contacts still writing to it.

use super::{Notice, admin_chrome, admins_only};
use crate::Shared;
use crate::ui::view::{parse_id, span};
use crate::ui::{Chrome, FormErrors, UiActor, UiError, render};
use app::{Actor, InboxPatch};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::{Alternative, Inbox, InboxId, SunsetSettings, notice_text};
use serde::Deserialize;

pub fn routes() -> Router<Shared> {
    Router::new().route("/settings/inboxes/{id}/sunset", get(show).post(save))
}

/// The form as typed; alternatives one a line as `kind | label | address`.
#[derive(Deserialize, Default)]
struct SunsetForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    alternatives: String,
}

impl SunsetForm {
    fn of(s: Option<&SunsetSettings>) -> Self {
        let Some(s) = s else { return SunsetForm::default() };
        SunsetForm {
            date: s.date.clone().unwrap_or_default(),
            message: s.message.clone().unwrap_or_default(),
            alternatives: s
                .alternatives
                .iter()
                .map(|a| format!("{} | {} | {}", a.kind, a.label, a.address))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    fn settings(&self) -> Result<SunsetSettings, app::Error> {
        let mut alternatives = Vec::new();
        for (i, line) in self.alternatives.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
            let parts: Vec<&str> = line.splitn(3, '|').map(str::trim).collect();
            let [kind, label, address] = parts.as_slice() else {
                return Err(app::Error::invalid(
                    "alternatives",
                    format!("line {}: write kind | label | address", i + 1),
                ));
            };
            let kind = kind.parse().map_err(|_| {
                app::Error::invalid("alternatives", format!("line {}: {kind:?} is not a channel kind", i + 1))
            })?;
            alternatives.push(Alternative { kind, label: label.to_string(), address: address.to_string() });
        }
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        Ok(SunsetSettings { date: opt(&self.date), alternatives, message: opt(&self.message) })
    }
}

struct Row {
    id: String,
    name: String,
    noticed: bool,
    last_written: String,
}

#[derive(Template)]
#[template(path = "settings_inbox_sunset.html")]
struct Page {
    chrome: Chrome,
    tab: &'static str,
    id: String,
    name: String,
    status: String,
    form: SunsetForm,
    preview: String,
    errors: FormErrors,
    saved: bool,
    stragglers: Vec<Row>,
}

async fn page(
    state: &Shared,
    actor: &Actor,
    inbox: &Inbox,
    form: SunsetForm,
    errors: FormErrors,
    saved: bool,
) -> Result<Response, UiError> {
    let chrome = admin_chrome(state, actor).await?;
    let (_, list) = state.app.sunset_report(actor, inbox.id, 100).await?;
    let now = state.app.now();
    let preview = form.settings().map(|s| notice_text(&s, &inbox.name)).unwrap_or_default();
    render(&Page {
        chrome,
        tab: "inboxes",
        id: inbox.id.to_string(),
        name: inbox.name.clone(),
        status: inbox.status.to_string(),
        form,
        preview,
        errors,
        saved,
        stragglers: list
            .into_iter()
            .map(|s| Row {
                id: s.contact_id.to_string(),
                name: s.name,
                noticed: s.noticed_at.is_some(),
                last_written: span(now - s.last_written_at),
            })
            .collect(),
    })
}

async fn show(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Query(n): Query<Notice>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    let inbox = state.app.get_inbox(&actor, parse_id::<InboxId>(&id, "inbox")?).await?;
    let form = SunsetForm::of(inbox.settings.sunset.as_ref());
    page(&state, &actor, &inbox, form, FormErrors::none(), n.shown()).await
}

async fn save(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(form): Form<SunsetForm>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    let inbox = state.app.get_inbox(&actor, parse_id::<InboxId>(&id, "inbox")?).await?;
    let attempt = async {
        let mut settings = inbox.settings.clone();
        settings.sunset = Some(form.settings()?);
        state
            .app
            .update_inbox(&actor, inbox.id, InboxPatch { name: None, settings: Some(settings), status: None })
            .await
    };
    match attempt.await {
        Ok(saved) => Ok(Redirect::to(&format!("/settings/inboxes/{}/sunset?saved=1", saved.id)).into_response()),
        Err(e) => {
            // `settings.sunset.alternatives[0].label` belongs to the input `alternatives`.
            let e = match e {
                app::Error::Invalid { field, message } => app::Error::Invalid {
                    field: field.strip_prefix("settings.sunset.").unwrap_or(&field).to_string(),
                    message,
                },
                other => other,
            };
            let errors = FormErrors::from_app(e, &["date", "message", "alternatives"])?;
            page(&state, &actor, &inbox, form, errors, false).await
        }
    }
}
