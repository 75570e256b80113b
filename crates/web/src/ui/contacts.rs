//! The contacts pages: the list (keyset pages, search by name, company or identity), one
//! contact's page ([`page`]) and merging two records of the same person ([`merge`]).

mod merge;
mod page;

use super::{Chrome, FormErrors, UiActor, UiError, render, session::is_htmx};
use crate::Shared;
use app::Actor;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use domain::{Contact, ContactId, Cursor};
use serde::Deserialize;

/// Contacts per page of the list.
const PAGE: usize = 50;
/// Search hits read to find contacts; contact hits are a subset of all hits.
const SEARCH_HITS: usize = 100;

pub fn routes() -> Router<Shared> {
    Router::new().route("/contacts", get(list)).merge(page::routes()).merge(merge::routes())
}

/// A contact as the pages show it.
pub(super) struct ContactView {
    pub id: String,
    /// The name to show (a fallback when the contact has none).
    pub name: String,
    pub company: String,
    /// (kind, value)
    pub identities: Vec<(String, String)>,
    /// (name, value as text)
    pub attributes: Vec<(String, String)>,
}

impl From<&Contact> for ContactView {
    fn from(c: &Contact) -> Self {
        ContactView {
            id: c.id.to_string(),
            name: c.display_name(),
            company: c.company.clone().unwrap_or_default(),
            identities: c.identities.iter().map(|i| (i.kind.to_string(), i.value.clone())).collect(),
            attributes: c
                .attributes
                .iter()
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), text)
                })
                .collect(),
        }
    }
}

/// Contacts whose name, company or identities match `q`, best first. Search covers
/// messages and conversations too; only its contact hits are kept.
pub(super) async fn find_contacts(state: &Shared, actor: &Actor, q: &str) -> Result<Vec<Contact>, app::Error> {
    let hits = state.app.search(actor, q, SEARCH_HITS).await?;
    let ids: Vec<ContactId> = hits
        .into_iter()
        .map(crate::dto::SearchResultDto::from)
        .filter(|h| h.kind == "contact")
        .map(|h| ContactId(h.id))
        .collect();
    let mut found = state.app.contacts_by_ids(actor, &ids).await?;
    found.sort_by_key(|c| ids.iter().position(|id| *id == c.id).unwrap_or(usize::MAX));
    Ok(found)
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    errors: FormErrors,
    contacts: Vec<ContactView>,
    next: Option<String>,
    first_page: bool,
}

#[derive(Template)]
#[template(path = "contacts_rows.html")]
struct Rows {
    q: String,
    contacts: Vec<ContactView>,
    next: Option<String>,
    first_page: bool,
}

/// `/contacts`: newest first with "load more", or the matches of `q`. htmx asks for rows
/// only (search as you type, the next page).
async fn list(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, UiError> {
    let q = query.q.trim().to_string();
    let mut errors = FormErrors::none();
    let (contacts, next) = if q.is_empty() {
        let cursor = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => Some(Cursor::decode(c, "cursor").map_err(app::Error::from)?),
            None => None,
        };
        let page = state.app.list_contacts(&actor, cursor, PAGE).await?;
        (page.items, page.next.map(|c| c.encode()))
    } else {
        match find_contacts(&state, &actor, &q).await {
            Ok(found) => (found, None),
            Err(e) => {
                errors = FormErrors::from_app(e, &["q"])?;
                (Vec::new(), None)
            }
        }
    };
    let contacts: Vec<ContactView> = contacts.iter().map(ContactView::from).collect();
    let first_page = query.cursor.is_none();
    if is_htmx(&headers) {
        if let Some(e) = errors.field("q").or(errors.top()) {
            return Err(UiError::new(StatusCode::BAD_REQUEST, format!("Search: {e}")));
        }
        return render(&Rows { q, contacts, next, first_page });
    }
    let chrome = Chrome::load(&state, &actor, "contacts").await?;
    render(&ListPage { chrome, q, errors, contacts, next, first_page })
}
