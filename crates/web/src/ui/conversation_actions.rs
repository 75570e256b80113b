//! What agents do in a conversation from the UI: send a reply or a note, change status,
//! assignee, team, priority, labels and participants, retry a failed delivery, add to the
//! customer's record, and say they are here. Each action answers htmx with the fragments it
//! changed (the thread always, since every change leaves an activity line); without htmx it
//! redirects back to the conversation.

use super::conversation::{
    Composer, Context, Customer, conversation_id, empty_customer, is_closed, load_customer, load_header, load_thread,
};
use super::session::is_htmx;
use super::view::parse_local_time;
use super::{FormErrors, UiActor, UiError};
use crate::Shared;
use app::{Actor, ReplyInput};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::post;
use domain::{AttachmentId, Conversation, ConversationId, MessageId, Priority, Status, TeamId, UserId};
use serde::Deserialize;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/conversations/{id}/send", post(send))
        .route("/conversations/{id}/status", post(status))
        .route("/conversations/{id}/assign", post(assign))
        .route("/conversations/{id}/team", post(team))
        .route("/conversations/{id}/priority", post(priority))
        .route("/conversations/{id}/labels", post(labels))
        .route("/conversations/{id}/participants", post(participants))
        .route("/conversations/{id}/presence", post(presence))
        .route("/conversations/{id}/contact/notes", post(contact_note))
        .route("/conversations/{id}/contact/attributes", post(contact_attribute))
        .route("/messages/{id}/retry", post(retry))
}

fn bad(field: &str, value: &str) -> UiError {
    UiError::new(StatusCode::BAD_REQUEST, format!("{value:?} is not a valid {field}."))
}

/// Fragments with `hx-swap-oob` so htmx puts each in its place.
fn oob(html: String) -> String {
    // Every fragment template's root element carries its id; mark it out-of-band.
    html.replacen('>', " hx-swap-oob=\"true\">", 1)
}

/// The header (the request's target) and the thread (out of band), or a redirect for a
/// plain form post.
async fn changed(state: &Shared, actor: &Actor, headers: &HeaderMap, c: &Conversation) -> Result<Response, UiError> {
    if !is_htmx(headers) {
        return Ok(Redirect::to(&format!("/conversations/{}", c.id)).into_response());
    }
    let ctx = Context::load(state, actor, c).await?;
    let header = load_header(state, actor, c, &ctx).await?.render()?;
    let thread = load_thread(state, actor, c, &ctx).await?.render()?;
    Ok(Html(format!("{header}{}", oob(thread))).into_response())
}

#[derive(Deserialize)]
struct SendForm {
    mode: Option<String>,
    text: String,
    /// E-mail: `on` to copy everyone on the customer's latest mail.
    reply_all: Option<String>,
    /// Ids of files uploaded beforehand, comma-separated.
    attachments: Option<String>,
}

async fn send(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<SendForm>,
) -> Result<Response, UiError> {
    let id = conversation_id(&id)?;
    let mode = if form.mode.as_deref() == Some("note") { "note" } else { "reply" };
    let raw_ids = form.attachments.clone().unwrap_or_default();
    let result = match parse_attachments(&raw_ids) {
        Err(e) => Err(e),
        Ok(ids) if mode == "note" && !ids.is_empty() => {
            Err(app::Error::invalid("attachments", "files go with replies; notes are text only"))
        }
        Ok(_) if mode == "note" => state.app.add_note(&actor, id, &form.text).await.map(|_| ()),
        Ok(attachments) => {
            let reply_all = form.reply_all.as_deref() == Some("on");
            let input = ReplyInput { text: form.text.clone(), html: None, attachments, reply_all };
            state.app.reply(&actor, id, input).await.map(|_| ())
        }
    };
    let c = state.app.get_conversation(&actor, id).await?;
    let closed = is_closed(&state, &actor, &c).await?;
    let ctx = Context::load(&state, &actor, &c).await?;
    let thread = load_thread(&state, &actor, &c, &ctx).await?;
    let can_reply_all = thread.can_reply_all;
    let composer = |text: String, attachments: String, errors: FormErrors| Composer {
        id: c.id.to_string(),
        mode: mode.to_string(),
        text,
        attachments,
        errors,
        closed,
        can_reply_all,
    };
    match result {
        Ok(()) if !is_htmx(&headers) => Ok(Redirect::to(&format!("/conversations/{}", c.id)).into_response()),
        Ok(()) => {
            let fresh = composer(String::new(), String::new(), FormErrors::none()).render()?;
            let thread = thread.render()?;
            let header = load_header(&state, &actor, &c, &ctx).await?.render()?;
            // The draft is cleared before the new (empty) composer is swapped in.
            let trigger = format!(r#"{{"chorus:sent":{{"key":"conv:{}"}}}}"#, c.id);
            Ok(([("hx-trigger", trigger)], Html(format!("{fresh}{}{}", oob(thread), oob(header)))).into_response())
        }
        Err(e) => {
            let errors = FormErrors::from_app(e, &["text", "attachments"])?;
            Ok(Html(composer(form.text, raw_ids, errors).render()?).into_response())
        }
    }
}

fn parse_attachments(raw: &str) -> Result<Vec<AttachmentId>, app::Error> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| app::Error::invalid("attachments", format!("{s:?} is not an uploaded file"))))
        .collect()
}

#[derive(Deserialize)]
struct StatusForm {
    status: String,
    /// For snoozing: a local date and time (`2026-11-24T09:00`) ...
    until: Option<String>,
    /// ... and the browser's offset from UTC in minutes (`Date.getTimezoneOffset()`).
    tz_offset: Option<i64>,
}

async fn status(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<StatusForm>,
) -> Result<Response, UiError> {
    let id = conversation_id(&id)?;
    let status: Status = form.status.parse().map_err(|_| bad("status", &form.status))?;
    let until = match form.until.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) if status == Status::Snoozed => Some(
            parse_local_time(u, form.tz_offset.unwrap_or(0))
                .ok_or_else(|| UiError::new(StatusCode::BAD_REQUEST, format!("{u:?} is not a date and time.")))?,
        ),
        Some(_) | None if status == Status::Snoozed => {
            return Err(UiError::new(StatusCode::BAD_REQUEST, "Choose until when to snooze."));
        }
        _ => None,
    };
    let c = state.app.set_status(&actor, id, status, until).await?;
    changed(&state, &actor, &headers, &c).await
}

#[derive(Deserialize)]
struct AssignForm {
    /// Empty to unassign, `me`, or a teammate's id.
    assignee: String,
}

async fn assign(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<AssignForm>,
) -> Result<Response, UiError> {
    let id = conversation_id(&id)?;
    let user = match form.assignee.trim() {
        "" => None,
        "me" => Some(actor.user_id),
        other => Some(other.parse::<UserId>().map_err(|_| bad("teammate", other))?),
    };
    let c = state.app.assign(&actor, id, user).await?;
    changed(&state, &actor, &headers, &c).await
}

#[derive(Deserialize)]
struct TeamForm {
    team: String,
}

async fn team(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<TeamForm>,
) -> Result<Response, UiError> {
    let id = conversation_id(&id)?;
    let team = match form.team.trim() {
        "" => None,
        other => Some(other.parse::<TeamId>().map_err(|_| bad("team", other))?),
    };
    let c = state.app.set_team(&actor, id, team).await?;
    changed(&state, &actor, &headers, &c).await
}

#[derive(Deserialize)]
struct PriorityForm {
    priority: String,
}

async fn priority(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<PriorityForm>,
) -> Result<Response, UiError> {
    let id = conversation_id(&id)?;
    let p: Priority = form.priority.parse().map_err(|_| bad("priority", &form.priority))?;
    let c = state.app.set_priority(&actor, id, p).await?;
    changed(&state, &actor, &headers, &c).await
}

#[derive(Deserialize)]
struct LabelForm {
    /// `add` or `remove`.
    op: String,
    label: String,
}

async fn labels(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<LabelForm>,
) -> Result<Response, UiError> {
    let id = conversation_id(&id)?;
    let c = state.app.get_conversation(&actor, id).await?;
    let label =
        domain::conversation::normalise_label(&form.label).map_err(|e| app::Error::from(e.in_field("label")))?;
    let mut labels = c.labels.clone();
    match form.op.as_str() {
        "add" if !labels.contains(&label) => labels.push(label),
        "remove" => labels.retain(|l| *l != label),
        "add" => {}
        other => return Err(bad("label operation", other)),
    }
    let c = state.app.set_labels(&actor, id, labels).await?;
    changed(&state, &actor, &headers, &c).await
}

#[derive(Deserialize)]
struct ParticipantForm {
    op: String,
    user: String,
}

async fn participants(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ParticipantForm>,
) -> Result<Response, UiError> {
    let id = conversation_id(&id)?;
    let user: UserId = form.user.trim().parse().map_err(|_| bad("teammate", &form.user))?;
    let c = state.app.get_conversation(&actor, id).await?;
    let mut users = c.participants.clone();
    match form.op.as_str() {
        "add" if !users.contains(&user) => users.push(user),
        "remove" => users.retain(|u| *u != user),
        "add" => {}
        other => return Err(bad("participant operation", other)),
    }
    let c = state.app.set_participants(&actor, id, users).await?;
    changed(&state, &actor, &headers, &c).await
}

#[derive(Deserialize)]
struct PresenceForm {
    typing: Option<String>,
}

async fn presence(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(form): Form<PresenceForm>,
) -> Result<StatusCode, UiError> {
    let id: ConversationId = conversation_id(&id)?;
    state.app.announce_presence(&actor, id, form.typing.as_deref() == Some("true")).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn retry(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let id: MessageId = id.parse().map_err(|_| UiError::new(StatusCode::NOT_FOUND, "This message does not exist."))?;
    let m = state.app.retry_delivery(&actor, id).await?;
    let c = state.app.get_conversation(&actor, m.conversation_id).await?;
    changed(&state, &actor, &headers, &c).await
}

/// The customer panel again, with a form's error and input when it failed.
async fn customer_panel(
    state: &Shared,
    actor: &Actor,
    c: &Conversation,
    failed: Option<(FormErrors, [String; 3])>,
) -> Result<Response, UiError> {
    let ctx = Context::load(state, actor, c).await?;
    let mut panel: Customer = empty_customer(c, load_customer(state, actor, c, &ctx).await?);
    if let Some((errors, [key, value, note])) = failed {
        (panel.errors, panel.attr_key, panel.attr_value, panel.note) = (errors, key, value, note);
    }
    Ok(Html(panel.render()?).into_response())
}

#[derive(Deserialize)]
struct NoteForm {
    body: String,
}

async fn contact_note(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(form): Form<NoteForm>,
) -> Result<Response, UiError> {
    let c = state.app.get_conversation(&actor, conversation_id(&id)?).await?;
    match state.app.add_contact_note(&actor, c.contact_id, &form.body).await {
        Ok(_) => customer_panel(&state, &actor, &c, None).await,
        Err(e) => {
            let errors = FormErrors::from_app(e, &["body"])?;
            customer_panel(&state, &actor, &c, Some((errors, [String::new(), String::new(), form.body]))).await
        }
    }
}

#[derive(Deserialize)]
struct AttributeForm {
    key: String,
    value: String,
}

async fn contact_attribute(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(form): Form<AttributeForm>,
) -> Result<Response, UiError> {
    let c = state.app.get_conversation(&actor, conversation_id(&id)?).await?;
    // An empty value removes the attribute.
    let value = Some(form.value.trim()).filter(|v| !v.is_empty());
    match state.app.set_contact_attribute(&actor, c.contact_id, &form.key, value).await {
        Ok(_) => customer_panel(&state, &actor, &c, None).await,
        Err(e) => {
            let failed = Some((FormErrors::from_app(e, &["key", "value"])?, [form.key, form.value, String::new()]));
            customer_panel(&state, &actor, &c, failed).await
        }
    }
}
