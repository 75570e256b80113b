//! The conversation list: views (mine, unassigned, all) narrowed by team, inbox or label,
//! status tabs with counts from the counters, rows with who is waiting and for how long,
//! "load more" by keyset cursor, and a live refresh when the event stream says something
//! changed.

use super::view::{Directory, span};
use super::{Chrome, UiActor, UiError, render};
use crate::Shared;
use app::{Actor, ConversationQuery};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use domain::{AssigneeFilter, ContactId, ConversationFilter, Cursor, InboxId, Status, TeamId};
use serde::Deserialize;

/// Rows per page.
const PAGE: usize = 50;

pub fn routes() -> Router<Shared> {
    Router::new().route("/inbox", get(page)).route("/inbox/body", get(body)).route("/inbox/rows", get(more))
}

/// The list's parameters, as they appear in the address bar.
#[derive(Debug, Default, Deserialize)]
struct ListParams {
    view: Option<String>,
    status: Option<String>,
    team: Option<String>,
    inbox: Option<String>,
    label: Option<String>,
    cursor: Option<String>,
}

/// The list's parameters, checked.
struct Selection {
    view: &'static str,
    status: Status,
    team: Option<TeamId>,
    inbox: Option<InboxId>,
    label: Option<String>,
}

fn bad(what: &str, value: &str) -> UiError {
    UiError::new(StatusCode::BAD_REQUEST, format!("{value:?} is not a valid {what} for the conversation list."))
}

impl Selection {
    fn parse(p: &ListParams) -> Result<Selection, UiError> {
        let view = match p.view.as_deref().unwrap_or("all") {
            "mine" => "mine",
            "unassigned" => "unassigned",
            "all" | "" => "all",
            other => return Err(bad("view", other)),
        };
        let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
            None => Status::Open,
            Some(s) => s.parse().map_err(|_| bad("status", s))?,
        };
        let team = match p.team.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(t) => Some(t.parse().map_err(|_| bad("team", t))?),
        };
        let inbox = match p.inbox.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(i) => Some(i.parse().map_err(|_| bad("inbox", i))?),
        };
        let label = match p.label.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(l) => Some(domain::conversation::normalise_label(l).map_err(|_| bad("label", l))?),
        };
        Ok(Selection { view, status, team, inbox, label })
    }

    fn filter(&self, actor: &Actor, status: Status) -> ConversationFilter {
        ConversationFilter {
            status: Some(status),
            assignee: match self.view {
                "mine" => AssigneeFilter::User(actor.user_id),
                "unassigned" => AssigneeFilter::Nobody,
                _ => AssigneeFilter::Anyone,
            },
            team_id: self.team,
            inbox_id: self.inbox,
            label: self.label.clone(),
            priority: None,
            contact_id: None,
        }
    }

    /// The query string that shows this selection with another status (and no cursor).
    fn query(&self, status: Status) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("view", self.view).append_pair("status", status.as_str());
        if let Some(t) = self.team {
            q.append_pair("team", &t.to_string());
        }
        if let Some(i) = self.inbox {
            q.append_pair("inbox", &i.to_string());
        }
        if let Some(l) = &self.label {
            q.append_pair("label", l);
        }
        q.finish()
    }

    fn title(&self, dir: &Directory, teams: &[domain::Team]) -> String {
        let mut t = match self.view {
            "mine" => "Mine".to_string(),
            "unassigned" => "Unassigned".to_string(),
            _ => "All conversations".to_string(),
        };
        if let Some(team) = self.team.and_then(|id| teams.iter().find(|x| x.id == id)) {
            t.push_str(&format!(" · {}", team.name));
        }
        if let Some(inbox) = self.inbox {
            t.push_str(&format!(" · {}", dir.inbox(inbox).0));
        }
        if let Some(l) = &self.label {
            t.push_str(&format!(" · #{l}"));
        }
        t
    }
}

/// A status tab with the list's size in that status, when a counter covers it.
struct Tab {
    status: &'static str,
    label: &'static str,
    count: Option<i64>,
    query: String,
    current: bool,
}

/// One row of the list.
struct Row {
    id: String,
    number: i64,
    channel: String,
    inbox: String,
    contact: String,
    subject: String,
    preview: String,
    waiting: Option<String>,
    activity: String,
    priority: String,
    assignee: Option<String>,
    unread: bool,
    labels: Vec<String>,
    sla: Option<super::view::SlaBadge>,
}

/// The rows of one page and where the next begins.
struct Rows {
    rows: Vec<Row>,
    /// The query for the next page, when there is one.
    more: Option<String>,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    chrome: Chrome,
    title: String,
    tabs: Vec<Tab>,
    list: Rows,
    body_query: String,
    first_run: bool,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "inbox_body.html")]
struct InboxBody {
    tabs: Vec<Tab>,
    list: Rows,
    body_query: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "inbox_rows.html")]
struct MoreRows {
    list: Rows,
}

const TABS: [(Status, &str); 4] = [
    (Status::Open, "Open"),
    (Status::Pending, "Pending"),
    (Status::Snoozed, "Snoozed"),
    (Status::Resolved, "Resolved"),
];

async fn tabs(state: &Shared, actor: &Actor, sel: &Selection) -> Result<Vec<Tab>, UiError> {
    let filters: Vec<ConversationFilter> = TABS.iter().map(|(status, _)| sel.filter(actor, *status)).collect();
    let counts = state.app.conversation_counts(actor, &filters).await?;
    Ok(TABS
        .iter()
        .zip(counts)
        .map(|((status, label), count)| Tab {
            status: status.as_str(),
            label,
            count,
            query: sel.query(*status),
            current: *status == sel.status,
        })
        .collect())
}

async fn rows(
    state: &Shared,
    actor: &Actor,
    dir: &Directory,
    sel: &Selection,
    cursor: Option<&str>,
) -> Result<Rows, UiError> {
    let cursor = match cursor.filter(|c| !c.is_empty()) {
        Some(c) => Some(Cursor::decode(c, "cursor").map_err(|_| bad("cursor", c))?),
        None => None,
    };
    let now = state.app.now();
    let query = ConversationQuery { filter: sel.filter(actor, sel.status), cursor, limit: PAGE };
    let list = state.app.list_conversations(actor, query).await?;
    let contact_ids: Vec<ContactId> = list.page.items.iter().map(|c| c.contact_id).collect();
    let contacts = state.app.contacts_by_ids(actor, &contact_ids).await?;
    let slas = state.app.conversations_sla(actor, &list.page.items).await?;
    let rows = list
        .page
        .items
        .iter()
        .map(|c| {
            let (inbox, kind) = dir.inbox(c.inbox_id);
            let contact = contacts.iter().find(|x| x.id == c.contact_id);
            Row {
                id: c.id.to_string(),
                number: c.number,
                channel: kind.to_string(),
                inbox,
                contact: contact.map(|x| x.display_name()).unwrap_or_else(|| "Unknown customer".into()),
                subject: c.subject.clone().unwrap_or_default(),
                preview: c.preview.clone().unwrap_or_default(),
                waiting: c.waiting_since.map(|w| span(now - w)),
                activity: span(now - c.last_activity_at),
                priority: c.priority.to_string(),
                assignee: c.assignee_id.map(|u| dir.user_name(u)),
                unread: list.unread.contains(&c.id),
                labels: c.labels.clone(),
                sla: slas.get(&c.id).and_then(super::view::sla_badge),
            }
        })
        .collect();
    let more = list.page.next.map(|n| format!("{}&cursor={}", sel.query(sel.status), n.encode()));
    Ok(Rows { rows, more })
}

async fn page(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Query(p): Query<ListParams>,
) -> Result<Response, UiError> {
    let sel = Selection::parse(&p)?;
    let chrome = Chrome::load(&state, &actor, sel.view).await?;
    let teams = state.app.list_teams(&actor).await?;
    let dir = Directory::load(&state, &actor).await?;
    let first_run = dir.inboxes.is_empty();
    render(&InboxPage {
        title: sel.title(&dir, &teams),
        tabs: tabs(&state, &actor, &sel).await?,
        list: rows(&state, &actor, &dir, &sel, p.cursor.as_deref()).await?,
        body_query: sel.query(sel.status),
        first_run,
        status: sel.status.as_str(),
        chrome,
    })
}

/// The tabs and the first page again, for the live refresh.
async fn body(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Query(p): Query<ListParams>,
) -> Result<Response, UiError> {
    let sel = Selection::parse(&p)?;
    let dir = Directory::load(&state, &actor).await?;
    render(&InboxBody {
        tabs: tabs(&state, &actor, &sel).await?,
        list: rows(&state, &actor, &dir, &sel, None).await?,
        body_query: sel.query(sel.status),
        status: sel.status.as_str(),
    })
}

/// The next page of rows ("load more").
async fn more(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Query(p): Query<ListParams>,
) -> Result<Response, UiError> {
    let sel = Selection::parse(&p)?;
    let dir = Directory::load(&state, &actor).await?;
    render(&MoreRows { list: rows(&state, &actor, &dir, &sel, p.cursor.as_deref()).await? })
}
