//! Settings › Inboxes: the list, creating one (kind and name, with the API channel's
//! callback URL and reopen window, and an e-mail inbox's addresses and servers), and one
//! inbox's page showing the id and secret an integration needs (or how mail reaches an
//! e-mail inbox), where its settings and status (active, sunset, closed) change.

use super::inbox_email::{self, EmailForm};
use super::{Notice, admin_chrome, admins_only};
use crate::Shared;
use crate::ui::view::{parse_id, stamp};
use crate::ui::{Chrome, FormErrors, UiActor, UiError, render};
use app::{Actor, InboxInput, InboxPatch};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::{ChannelKind, Inbox, InboxId, InboxSettings, InboxStatus};
use serde::Deserialize;

const FIELDS: &[&str] = &["kind", "name", "callback_url", "reopen_window_minutes", "status"];

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/settings/inboxes", get(list).post(create))
        .route("/settings/inboxes/{id}", get(show).post(update))
}

/// The inbox form as typed (every field text, so a bad value comes back as it was).
#[derive(Deserialize, Default)]
struct InboxForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    callback_url: String,
    #[serde(default)]
    reopen_window_minutes: String,
    #[serde(default)]
    status: String,
    #[serde(flatten)]
    email: EmailForm,
}

impl InboxForm {
    fn blank() -> InboxForm {
        InboxForm {
            kind: ChannelKind::Api.to_string(),
            reopen_window_minutes: InboxSettings::default().reopen_window_minutes.to_string(),
            email: EmailForm::blank(),
            ..Default::default()
        }
    }

    fn of(i: &Inbox) -> InboxForm {
        InboxForm {
            kind: i.kind.to_string(),
            name: i.name.clone(),
            callback_url: i.settings.callback_url.clone().unwrap_or_default(),
            reopen_window_minutes: i.settings.reopen_window_minutes.to_string(),
            status: i.status.to_string(),
            email: EmailForm::of(i.settings.email.as_ref()),
        }
    }

    /// The settings typed; the e-mail part counts only for an e-mail inbox (the create form
    /// shows it whatever the kind chosen).
    fn settings(&self, kind: ChannelKind) -> Result<InboxSettings, app::Error> {
        let minutes = self.reopen_window_minutes.trim();
        let reopen_window_minutes = if minutes.is_empty() {
            InboxSettings::default().reopen_window_minutes
        } else {
            minutes.parse().map_err(|_| {
                app::Error::invalid("reopen_window_minutes", "enter a whole number of minutes (0 never reopens)")
            })?
        };
        let url = self.callback_url.trim();
        Ok(InboxSettings {
            callback_url: (!url.is_empty()).then(|| url.to_string()),
            reopen_window_minutes,
            email: if kind == ChannelKind::Email { Some(self.email.settings()?) } else { None },
            // Set on the inbox's sunset page and over the API; this form keeps what is stored.
            sunset: None,
            sla_policy_id: None,
            widget: None,
        })
    }
}

/// Settings errors name `settings.<field>`; on this form the field stands alone, and the
/// e-mail part's nested names (`settings.email.smtp.host`) are its inputs' (`smtp_host`).
fn sort_errors(e: app::Error) -> Result<FormErrors, UiError> {
    let e = match inbox_email::rename(e) {
        app::Error::Invalid { field, message } => {
            let field = field.strip_prefix("settings.").map(str::to_string).unwrap_or(field);
            app::Error::Invalid { field, message }
        }
        other => other,
    };
    let fields: Vec<&str> = FIELDS.iter().chain(inbox_email::FIELDS).copied().collect();
    FormErrors::from_app(e, &fields)
}

/// (value, selected) pairs for a `<select>`.
pub(super) fn options<T: Copy + std::fmt::Display>(all: &[T], chosen: &str) -> Vec<(String, bool)> {
    all.iter().map(|v| (v.to_string(), v.to_string() == chosen)).collect()
}

struct InboxRow {
    id: String,
    name: String,
    kind: String,
    status: String,
}

#[derive(Template)]
#[template(path = "settings_inboxes.html")]
struct ListPage {
    chrome: Chrome,
    tab: &'static str,
    inboxes: Vec<InboxRow>,
    form: InboxForm,
    kinds: Vec<(String, bool)>,
    errors: FormErrors,
    /// False: the e-mail part is a new inbox's, shown for every kind.
    editing: bool,
}

async fn list_page(state: &Shared, actor: &Actor, form: InboxForm, errors: FormErrors) -> Result<Response, UiError> {
    let chrome = admin_chrome(state, actor).await?;
    let inboxes = state
        .app
        .list_inboxes(actor)
        .await?
        .into_iter()
        .map(|i| InboxRow {
            id: i.id.to_string(),
            name: i.name,
            kind: i.kind.to_string(),
            status: i.status.to_string(),
        })
        .collect();
    let kinds = options(ChannelKind::ALL, &form.kind);
    render(&ListPage { chrome, tab: "inboxes", inboxes, form, kinds, errors, editing: false })
}

async fn list(State(state): State<Shared>, UiActor(actor): UiActor) -> Result<Response, UiError> {
    list_page(&state, &actor, InboxForm::blank(), FormErrors::none()).await
}

async fn create(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Form(form): Form<InboxForm>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    let attempt = async {
        let kind: ChannelKind = form.kind.parse().map_err(app::Error::from)?;
        let input = InboxInput { kind, name: form.name.clone(), settings: form.settings(kind)? };
        state.app.create_inbox(&actor, input).await
    };
    match attempt.await {
        Ok(inbox) => Ok(Redirect::to(&format!("/settings/inboxes/{}?saved=1", inbox.id)).into_response()),
        Err(e) => {
            let errors = sort_errors(e)?;
            list_page(&state, &actor, form, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "settings_inbox.html")]
struct InboxPage {
    chrome: Chrome,
    tab: &'static str,
    id: String,
    kind: String,
    secret: String,
    created: String,
    /// An e-mail inbox's stored addresses, for the Connect card.
    addresses: Vec<String>,
    form: InboxForm,
    statuses: Vec<(String, bool)>,
    errors: FormErrors,
    saved: bool,
    /// True: the e-mail part edits stored settings, whose passwords stay when left empty.
    editing: bool,
}

async fn inbox_page(
    state: &Shared,
    actor: &Actor,
    inbox: &Inbox,
    form: InboxForm,
    errors: FormErrors,
    saved: bool,
) -> Result<Response, UiError> {
    let chrome = admin_chrome(state, actor).await?;
    let statuses = options(InboxStatus::ALL, &form.status);
    render(&InboxPage {
        chrome,
        tab: "inboxes",
        id: inbox.id.to_string(),
        kind: inbox.kind.to_string(),
        secret: inbox.secret.clone(),
        created: stamp(inbox.created_at),
        addresses: inbox.settings.email.as_ref().map(|e| e.addresses.clone()).unwrap_or_default(),
        form,
        statuses,
        errors,
        saved,
        editing: true,
    })
}

async fn show(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    let inbox = state.app.get_inbox(&actor, parse_id::<InboxId>(&id, "inbox")?).await?;
    inbox_page(&state, &actor, &inbox, InboxForm::of(&inbox), FormErrors::none(), notice.shown()).await
}

async fn update(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(form): Form<InboxForm>,
) -> Result<Response, UiError> {
    admins_only(&actor)?;
    let inbox = state.app.get_inbox(&actor, parse_id::<InboxId>(&id, "inbox")?).await?;
    let attempt = async {
        let status: InboxStatus = form.status.parse().map_err(app::Error::from)?;
        let mut settings = form.settings(inbox.kind)?;
        settings.sunset = inbox.settings.sunset.clone();
        settings.sla_policy_id = inbox.settings.sla_policy_id;
        settings.widget = inbox.settings.widget.clone();
        let patch = InboxPatch { name: Some(form.name.clone()), settings: Some(settings), status: Some(status) };
        state.app.update_inbox(&actor, inbox.id, patch).await
    };
    match attempt.await {
        Ok(saved) => Ok(Redirect::to(&format!("/settings/inboxes/{}?saved=1", saved.id)).into_response()),
        Err(e) => {
            let errors = sort_errors(e)?;
            let form = InboxForm { kind: inbox.kind.to_string(), ..form };
            inbox_page(&state, &actor, &inbox, form, errors, false).await
        }
    }
}
