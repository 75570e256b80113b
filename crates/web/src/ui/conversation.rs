//! One conversation: its header with every action (status, assignee, team, priority,
//! labels, participants), the thread, the composer for replies and notes, and the customer
//! panel with the contact's identities, attributes, notes and every conversation they had
//! on any channel. The thread and header refresh themselves when the event stream reports a
//! change to this conversation; what people do here is in `conversation_actions`.

use super::view::{Directory, iso, span, stamp};
use super::{Chrome, FormErrors, UiActor, UiError, render};
use crate::Shared;
use app::Actor;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::{Author, Contact, ContactNote, Conversation, ConversationId, DeliveryStatus, Message, Status};

/// The most messages a thread shows at once.
const THREAD_LIMIT: usize = 1_000;
/// The most conversations the customer panel lists.
const TIMELINE_LIMIT: usize = 50;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/conversations/{id}", get(page))
        .route("/conversations/{id}/thread", get(thread))
        .route("/conversations/{id}/header", get(header))
        .route("/conversations/{id}/customer", get(customer))
        .route("/messages/{id}/html", get(formatted))
        .merge(super::conversation_actions::routes())
}

/// A conversation id from the path; anything else is a page that does not exist.
pub fn conversation_id(raw: &str) -> Result<ConversationId, UiError> {
    super::view::parse_id(raw, "conversation")
}

/// The conversation as the header shows it.
pub struct ConvView {
    pub id: String,
    pub number: i64,
    pub subject: String,
    pub contact: String,
    pub status: String,
    pub resolved: bool,
    pub snoozed_until: Option<String>,
    pub priority: String,
    pub assignee: String,
    pub team: String,
    pub labels: Vec<String>,
    pub participants: Vec<(String, String)>,
    pub inbox: String,
    pub channel: String,
    pub waiting: Option<String>,
    pub sla: Option<super::view::SlaBadge>,
    /// While it waits: its place in its queue and the estimated wait, if one can be given.
    pub queue: Option<String>,
}

/// What the header's controls offer.
pub struct Choices {
    pub me: String,
    pub members: Vec<(String, String)>,
    pub teams: Vec<(String, String)>,
    pub labels: Vec<String>,
}

#[derive(Template)]
#[template(path = "conversation_header.html")]
pub struct Header {
    pub conv: ConvView,
    pub choices: Choices,
}

/// One entry of the thread.
pub struct MessageView {
    pub id: String,
    pub kind: String,
    pub direction: String,
    pub author: String,
    pub author_kind: &'static str,
    pub text: String,
    /// Quoted history and signature below what the sender wrote (e-mail), shown folded.
    pub quoted: String,
    /// `To …, Cc …` for e-mail.
    pub recipients: Option<String>,
    /// Sent by a machine: `auto_reply`, `bulk` or `bounce`.
    pub automated: Option<String>,
    /// What could not be read from the original (shown to admins).
    pub problems: Vec<String>,
    /// The message came with (sanitised) HTML, viewable as a formatted version.
    pub has_html: bool,
    pub iso: String,
    pub stamp: String,
    pub delivery: Option<String>,
    pub delivery_error: Option<String>,
    pub attachments: Vec<AttachmentView>,
}

pub struct AttachmentView {
    pub id: String,
    pub filename: String,
    pub size: String,
    pub image: bool,
}

#[derive(Template)]
#[template(path = "conversation_thread.html")]
pub struct Thread {
    pub id: String,
    pub messages: Vec<MessageView>,
    pub truncated: bool,
    /// E-mail: others were on the customer's latest mail (offered to the composer).
    pub can_reply_all: bool,
    /// Chat: what the widget's assistant learned while the customer waited (key, answer).
    pub assistant: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "conversation_composer.html")]
pub struct Composer {
    pub id: String,
    pub mode: String,
    pub text: String,
    pub attachments: String,
    pub errors: FormErrors,
    pub closed: bool,
    /// E-mail: others were on the customer's latest mail, so "reply all" is offered.
    pub can_reply_all: bool,
}

/// The customer beside the thread.
pub struct CustomerView {
    pub id: String,
    pub name: String,
    pub company: String,
    pub identities: Vec<(String, String)>,
    pub attributes: Vec<(String, String)>,
    pub notes: Vec<(String, String, String)>,
    pub timeline: Vec<TimelineEntry>,
}

pub struct TimelineEntry {
    pub id: String,
    pub number: i64,
    pub channel: String,
    pub inbox: String,
    pub summary: String,
    pub status: String,
    pub when: String,
    pub iso: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "conversation_customer.html")]
pub struct Customer {
    pub conversation_id: String,
    pub contact: CustomerView,
    pub errors: FormErrors,
    pub attr_key: String,
    pub attr_value: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "conversation.html")]
struct ConversationPage {
    chrome: Chrome,
    header: Header,
    thread: Thread,
    composer: Composer,
    customer: Customer,
    mentionable: Vec<(String, String)>,
}

fn size(bytes: i64) -> String {
    match bytes {
        ..1_024 => format!("{bytes} B"),
        1_024..1_048_576 => format!("{} KB", bytes / 1_024),
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
    }
}

/// Raster images render inline; anything else (SVG included: it can carry script) is a link.
fn is_previewable(content_type: &str) -> bool {
    matches!(content_type, "image/png" | "image/jpeg" | "image/gif" | "image/webp")
}

/// `To a, b · Cc c` for a mail, or nothing.
fn recipients(m: &Message) -> Option<String> {
    let h = m.meta.email.as_ref()?;
    let list = |v: &[domain::email::MailAddress]| v.iter().map(|a| a.display()).collect::<Vec<_>>().join(", ");
    let mut out = Vec::new();
    if !h.to.is_empty() {
        out.push(format!("To {}", list(&h.to)));
    }
    if !h.cc.is_empty() {
        out.push(format!("Cc {}", list(&h.cc)));
    }
    (!out.is_empty()).then(|| out.join(" · "))
}

pub fn message_view(m: &Message, dir: &Directory, contact: &str, admin: bool) -> MessageView {
    let (body, quoted) = if m.meta.email.is_some() && m.kind == domain::MessageKind::Message {
        domain::email::split_quoted(&m.text)
    } else {
        (m.text.as_str(), "")
    };
    let (author, author_kind) = match m.author {
        Author::Agent(u) => (dir.user_name(u), "agent"),
        Author::Contact(_) => (contact.to_string(), "contact"),
        Author::System => ("Chorus".to_string(), "system"),
    };
    MessageView {
        id: m.id.to_string(),
        kind: m.kind.to_string(),
        direction: m.direction.to_string(),
        author,
        author_kind,
        text: body.to_string(),
        quoted: quoted.to_string(),
        recipients: recipients(m),
        automated: m.meta.automated.map(|a| a.to_string()),
        problems: if admin { m.meta.problems.clone() } else { Vec::new() },
        has_html: m.html.as_deref().is_some_and(|h| !h.trim().is_empty()),
        iso: iso(m.created_at),
        stamp: stamp(m.created_at),
        delivery: m.delivery_status.map(|d| d.to_string()),
        delivery_error: m.delivery_error.clone().filter(|_| m.delivery_status == Some(DeliveryStatus::Failed)),
        attachments: m
            .attachments
            .iter()
            .map(|a| AttachmentView {
                id: a.id.to_string(),
                filename: a.filename.clone(),
                size: size(a.size),
                image: is_previewable(&a.content_type),
            })
            .collect(),
    }
}

/// What every part of the page reads, loaded once per request: the names behind the ids
/// (teammates, inboxes) and the customer.
pub struct Context {
    pub dir: Directory,
    pub contact: Contact,
}

impl Context {
    pub async fn load(state: &Shared, actor: &Actor, c: &Conversation) -> Result<Context, UiError> {
        Ok(Context {
            dir: Directory::load(state, actor).await?,
            contact: state.app.get_contact(actor, c.contact_id).await?,
        })
    }
}

pub async fn load_header(state: &Shared, actor: &Actor, c: &Conversation, ctx: &Context) -> Result<Header, UiError> {
    let dir = &ctx.dir;
    let teams = state.app.list_teams(actor).await?;
    let labels = state.app.list_labels(actor).await?;
    let now = state.app.now();
    let (inbox, kind) = dir.inbox(c.inbox_id);
    let team = c.team_id.and_then(|t| teams.iter().find(|x| x.id == t)).map(|t| t.id.to_string()).unwrap_or_default();
    let conv = ConvView {
        id: c.id.to_string(),
        number: c.number,
        subject: c.subject.clone().unwrap_or_default(),
        contact: ctx.contact.display_name(),
        status: c.status.to_string(),
        resolved: c.status == Status::Resolved,
        snoozed_until: c.snoozed_until.map(stamp),
        priority: c.priority.to_string(),
        assignee: c.assignee_id.map(|u| u.to_string()).unwrap_or_default(),
        team,
        labels: c.labels.clone(),
        participants: c.participants.iter().map(|u| (u.to_string(), dir.user_name(*u))).collect(),
        inbox,
        channel: kind.to_string(),
        waiting: c.waiting_since.map(|w| span(now - w)),
        sla: super::view::sla_badge(&state.app.conversation_sla(actor, c.id).await?),
        queue: queue_text(&state.app.queue_place(actor, c.id).await?),
    };
    let choices = Choices {
        me: actor.user_id.to_string(),
        members: dir.active_members().iter().map(|m| (m.user.id.to_string(), m.user.name.clone())).collect(),
        teams: teams.iter().map(|t| (t.id.to_string(), t.name.clone())).collect(),
        labels: labels.into_iter().map(|l| l.name).filter(|l| !c.labels.contains(l)).collect(),
    };
    Ok(Header { conv, choices })
}

/// "2nd in the queue · about 5–10 minutes" while the conversation waits.
fn queue_text(p: &app::QueuePlace) -> Option<String> {
    let pos = p.position?;
    let ord = match (pos % 10, pos % 100) {
        (1, n) if n != 11 => "st",
        (2, n) if n != 12 => "nd",
        (3, n) if n != 13 => "rd",
        _ => "th",
    };
    Some(match p.estimate {
        Some(e) => format!("{pos}{ord} in the queue · {e}"),
        None => format!("{pos}{ord} in the queue"),
    })
}

pub async fn load_thread(state: &Shared, actor: &Actor, c: &Conversation, ctx: &Context) -> Result<Thread, UiError> {
    let page = state.app.list_messages(actor, c.id, None, THREAD_LIMIT).await?;
    let contact = ctx.contact.display_name();
    let admin = actor.role.can_administer();
    let assistant = state.app.assistant_answers(actor, c.id).await?.map(|s| s.answers).unwrap_or_default();
    Ok(Thread {
        id: c.id.to_string(),
        messages: page.items.iter().map(|m| message_view(m, &ctx.dir, &contact, admin)).collect(),
        truncated: page.next.is_some(),
        can_reply_all: others_on_latest_mail(&page.items),
        assistant,
    })
}

pub async fn load_customer(
    state: &Shared,
    actor: &Actor,
    c: &Conversation,
    ctx: &Context,
) -> Result<CustomerView, UiError> {
    let (contact, dir) = (&ctx.contact, &ctx.dir);
    let notes: Vec<ContactNote> = state.app.list_contact_notes(actor, contact.id).await?;
    let history = state.app.contact_conversations(actor, contact.id, None, TIMELINE_LIMIT).await?;
    let now = state.app.now();
    Ok(CustomerView {
        id: contact.id.to_string(),
        name: contact.display_name(),
        company: contact.company.clone().unwrap_or_default(),
        identities: contact.identities.iter().map(|i| (i.kind.to_string(), i.value.clone())).collect(),
        attributes: contact
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
            .collect(),
        notes: notes
            .iter()
            .map(|n| (n.body.clone(), n.author_id.map(|u| dir.user_name(u)).unwrap_or_default(), stamp(n.created_at)))
            .collect(),
        timeline: history
            .items
            .iter()
            .map(|h| {
                let (inbox, kind) = dir.inbox(h.inbox_id);
                TimelineEntry {
                    id: h.id.to_string(),
                    number: h.number,
                    channel: kind.to_string(),
                    inbox,
                    summary: h.subject.clone().or_else(|| h.preview.clone()).unwrap_or_default(),
                    status: h.status.to_string(),
                    when: span(now - h.last_activity_at),
                    iso: iso(h.last_activity_at),
                    current: h.id == c.id,
                }
            })
            .collect(),
    })
}

pub fn empty_customer(conversation: &Conversation, contact: CustomerView) -> Customer {
    Customer {
        conversation_id: conversation.id.to_string(),
        contact,
        errors: FormErrors::none(),
        attr_key: String::new(),
        attr_value: String::new(),
        note: String::new(),
    }
}

/// Whether the customer's latest mail had other recipients a reply could copy.
fn others_on_latest_mail(thread: &[Message]) -> bool {
    let latest = thread.iter().rev().find(|m| m.direction == domain::Direction::Inbound);
    latest.and_then(|m| m.meta.email.as_ref()).is_some_and(|h| !h.cc.is_empty() || h.to.len() > 1)
}

pub async fn is_closed(state: &Shared, actor: &Actor, c: &Conversation) -> Result<bool, UiError> {
    let inbox = state.app.get_inbox(actor, c.inbox_id).await?;
    Ok(inbox.status == domain::InboxStatus::Closed)
}

async fn page(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let id = conversation_id(&id)?;
    let c = state.app.get_conversation(&actor, id).await?;
    state.app.mark_conversation_seen(&actor, id).await?;
    // Teammates learn at once that someone opened it; the page keeps saying so while open.
    state.app.announce_presence(&actor, id, false).await?;
    let chrome = Chrome::load(&state, &actor, "conversation").await?;
    let ctx = Context::load(&state, &actor, &c).await?;
    let mentionable = ctx
        .dir
        .active_members()
        .iter()
        .filter(|m| m.user.id != actor.user_id)
        .map(|m| (m.user.handle().to_string(), m.user.name.clone()))
        .collect();
    let closed = is_closed(&state, &actor, &c).await?;
    let thread = load_thread(&state, &actor, &c, &ctx).await?;
    render(&ConversationPage {
        chrome,
        header: load_header(&state, &actor, &c, &ctx).await?,
        composer: Composer {
            id: c.id.to_string(),
            mode: "reply".into(),
            text: String::new(),
            attachments: String::new(),
            errors: FormErrors::none(),
            closed,
            can_reply_all: thread.can_reply_all,
        },
        thread,
        customer: empty_customer(&c, load_customer(&state, &actor, &c, &ctx).await?),
        mentionable,
    })
}

async fn thread(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let c = state.app.get_conversation(&actor, conversation_id(&id)?).await?;
    // The agent has the conversation open, so what just arrived counts as seen.
    state.app.mark_conversation_seen(&actor, c.id).await?;
    let ctx = Context::load(&state, &actor, &c).await?;
    render(&load_thread(&state, &actor, &c, &ctx).await?)
}

async fn header(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let c = state.app.get_conversation(&actor, conversation_id(&id)?).await?;
    let ctx = Context::load(&state, &actor, &c).await?;
    render(&load_header(&state, &actor, &c, &ctx).await?)
}

async fn customer(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let c = state.app.get_conversation(&actor, conversation_id(&id)?).await?;
    let ctx = Context::load(&state, &actor, &c).await?;
    render(&empty_customer(&c, load_customer(&state, &actor, &c, &ctx).await?))
}

#[derive(serde::Deserialize)]
struct FormattedQuery {
    /// `remote` once the agent chose to load remote images.
    images: Option<String>,
}

/// A message's HTML as a document of its own, for a sandboxed frame beside the plain text.
/// The HTML was sanitised on the way in; the policy here is the second wall: no script, no
/// requests anywhere, and remote images only once the agent asks for them (they tell the
/// sender the mail was opened, and from where).
async fn formatted(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<FormattedQuery>,
) -> Result<Response, UiError> {
    let m = state.app.get_message(&actor, super::view::parse_id(&id, "message")?).await?;
    let html = m.html.unwrap_or_default();
    let images = if q.images.as_deref() == Some("remote") { "img-src * data:" } else { "img-src 'self' data:" };
    let policy = format!(
        "default-src 'none'; {images}; style-src 'unsafe-inline'; sandbox allow-popups allow-popups-to-escape-sandbox"
    );
    let doc = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><base target=\"_blank\">\
         <style>body{{font:14px/1.45 system-ui,sans-serif;margin:8px;color:#1b1d23;background:#fff}}img{{max-width:100%}}</style>\
         </head><body>{html}</body></html>"
    );
    let mut res = axum::response::Html(doc).into_response();
    let h = res.headers_mut();
    if let Ok(v) = axum::http::HeaderValue::from_str(&policy) {
        h.insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(axum::http::header::X_FRAME_OPTIONS, axum::http::HeaderValue::from_static("SAMEORIGIN"));
    h.insert(axum::http::header::REFERRER_POLICY, axum::http::HeaderValue::from_static("no-referrer"));
    Ok(res)
}
