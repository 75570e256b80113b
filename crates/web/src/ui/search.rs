//! `/search`: messages, conversations and contacts of the workspace, best first, each
//! labelled with its kind and a highlighted snippet, linking to where it lives. Results are
//! plain links so the keyboard reaches them with Tab; `/` focuses the top search box.

use super::view::stamp;
use super::{Chrome, FormErrors, UiActor, UiError, render};
use crate::Shared;
use crate::dto::SearchResultDto;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use domain::{ContactId, ConversationId};
use serde::Deserialize;
use std::collections::HashMap;

/// Results shown for one query.
const LIMIT: usize = 50;

pub fn routes() -> Router<Shared> {
    Router::new().route("/search", get(search))
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

struct ResultView {
    /// `message`, `conversation` or `contact`.
    kind: String,
    href: String,
    title: String,
    /// Where it was said, when known (inbox and time of the conversation).
    context: String,
    /// Trusted HTML: the store escapes the indexed text and adds only `<mark>` tags around
    /// hits (`highlight` in crates/store/src/search.rs), so the template prints it with
    /// `|safe`. Nothing else on the page is printed unescaped.
    snippet: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    errors: FormErrors,
    results: Vec<ResultView>,
    /// (kind, how many), in the order kinds first appear.
    counts: Vec<(String, usize)>,
}

async fn search(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Query(query): Query<SearchQuery>,
) -> Result<Response, UiError> {
    let q = query.q.trim().to_string();
    let chrome = Chrome::load(&state, &actor, "search").await?;
    let mut page = SearchPage { chrome, q, errors: FormErrors::none(), results: Vec::new(), counts: Vec::new() };
    if page.q.is_empty() {
        return render(&page);
    }
    let hits = match state.app.search(&actor, &page.q, LIMIT).await {
        Ok(hits) => hits,
        Err(e) => {
            page.errors = FormErrors::from_app(e, &["q"])?;
            return render(&page);
        }
    };
    // The dto owns the wire spelling of a hit's kind; the page uses the same words.
    let hits: Vec<SearchResultDto> = hits.into_iter().map(SearchResultDto::from).collect();

    // Titles: a contact's name, a conversation's number and subject. Deleted or foreign
    // records simply keep a generic title.
    let contact_ids: Vec<ContactId> = hits.iter().filter(|h| h.kind == "contact").map(|h| ContactId(h.id)).collect();
    let contacts: HashMap<ContactId, String> =
        state.app.contacts_by_ids(&actor, &contact_ids).await?.into_iter().map(|c| (c.id, c.display_name())).collect();
    let inboxes: HashMap<_, _> = state.app.list_inboxes(&actor).await?.into_iter().map(|i| (i.id, i.name)).collect();
    let mut conversations: HashMap<ConversationId, (String, String)> = HashMap::new();
    for cid in hits.iter().filter_map(|h| h.conversation_id) {
        if conversations.contains_key(&cid) {
            continue;
        }
        match state.app.get_conversation(&actor, cid).await {
            Ok(c) => {
                let title = format!("#{} {}", c.number, c.subject.clone().unwrap_or_else(|| "(no subject)".into()));
                let inbox = inboxes.get(&c.inbox_id).cloned().unwrap_or_default();
                let context = format!("{inbox} · {}", stamp(c.last_activity_at));
                conversations.insert(cid, (title, context));
            }
            Err(app::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }

    for h in hits {
        let (href, title, context) = match h.conversation_id {
            Some(cid) => {
                let (title, context) =
                    conversations.get(&cid).cloned().unwrap_or_else(|| ("Conversation".into(), String::new()));
                (format!("/conversations/{cid}"), title, context)
            }
            None => {
                let name = contacts.get(&ContactId(h.id)).cloned().unwrap_or_else(|| "Contact".into());
                (format!("/contacts/{}", h.id), name, String::new())
            }
        };
        match page.counts.iter_mut().find(|(k, _)| *k == h.kind) {
            Some((_, n)) => *n += 1,
            None => page.counts.push((h.kind.clone(), 1)),
        }
        page.results.push(ResultView { kind: h.kind, href, title, context, snippet: h.snippet });
    }
    render(&page)
}
