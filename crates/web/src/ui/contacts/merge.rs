//! Merging two contacts that are the same person. The page's contact is kept; the person
//! picks the other one (by id, or by searching), sees what will move to the kept contact,
//! and confirms. Afterwards the merged-away id keeps resolving to the kept contact.

use super::{ContactView, find_contacts};
use crate::Shared;
use crate::ui::view::parse_id;
use crate::ui::{Chrome, FormErrors, UiActor, UiError, render};
use app::Actor;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::{Contact, ContactId};
use serde::Deserialize;

/// Conversations counted for the preview; more shows as "N+".
const COUNT_UP_TO: usize = 100;

pub fn routes() -> Router<Shared> {
    Router::new().route("/contacts/{id}/merge", get(page).post(merge)).route("/contacts/{id}/merge/preview", get(panel))
}

/// What merging would move from `other` to the kept contact.
struct Preview {
    other: ContactView,
    identities: Vec<(String, String)>,
    conversations: String,
    notes: usize,
    /// Attribute names the kept contact lacks (its own values win).
    attributes: Vec<String>,
    /// Name or company the kept contact lacks and gets from `other`.
    fills: Vec<(&'static str, String)>,
}

/// The form and, once someone was picked, what would move.
struct Panel {
    keep: ContactView,
    other: String,
    errors: FormErrors,
    preview: Option<Preview>,
    /// Several contacts matched the search: pick one.
    candidates: Vec<ContactView>,
}

#[derive(Template)]
#[template(path = "contact_merge.html")]
struct MergePage {
    chrome: Chrome,
    panel: Panel,
}

#[derive(Template)]
#[template(path = "contact_merge_panel.html")]
struct PanelFragment {
    panel: Panel,
}

#[derive(Deserialize)]
struct MergeQuery {
    #[serde(default)]
    other: String,
    /// A candidate chosen from a list of matches.
    pick: Option<String>,
}

enum Pick {
    One(Contact),
    Several(Vec<Contact>),
    Problem(FormErrors),
}

/// Finds the contact to merge into `keep` from what was typed: an id, or search text.
async fn pick(state: &Shared, actor: &Actor, keep: &Contact, typed: &str) -> Result<Pick, UiError> {
    let typed = typed.trim();
    let problem = |m: &str| Ok(Pick::Problem(FormErrors::on("other", m)));
    if typed.is_empty() {
        return problem("Enter the other contact's id, or a name, e-mail or phone to find them.");
    }
    let found = if let Ok(id) = typed.parse::<ContactId>() {
        match state.app.get_contact(actor, id).await {
            Ok(c) => vec![c],
            Err(app::Error::NotFound { .. }) => return problem("No contact has this id."),
            Err(e) => return Err(e.into()),
        }
    } else {
        match find_contacts(state, actor, typed).await {
            Ok(found) => found,
            Err(e @ app::Error::Invalid { .. }) => {
                return problem(FormErrors::from_app(e, &[])?.top().unwrap_or("This search is not valid."));
            }
            Err(e) => return Err(e.into()),
        }
    };
    let mut others: Vec<Contact> = found.into_iter().filter(|c| c.id != keep.id).collect();
    match others.len() {
        0 if typed.parse::<ContactId>().is_ok() => problem("That is this contact (or one already merged into it)."),
        0 => problem(&format!("No other contact matches “{typed}”.")),
        1 => Ok(Pick::One(others.remove(0))),
        _ => Ok(Pick::Several(others)),
    }
}

async fn preview(state: &Shared, actor: &Actor, keep: &Contact, other: &Contact) -> Result<Preview, UiError> {
    let convs = state.app.contact_conversations(actor, other.id, None, COUNT_UP_TO).await?;
    let conversations = if convs.next.is_some() { format!("{COUNT_UP_TO}+") } else { convs.items.len().to_string() };
    let notes = state.app.list_contact_notes(actor, other.id).await?.len();
    let mut fills = Vec::new();
    if let (None, Some(name)) = (&keep.name, &other.name) {
        fills.push(("name", name.clone()));
    }
    if let (None, Some(company)) = (&keep.company, &other.company) {
        fills.push(("company", company.clone()));
    }
    Ok(Preview {
        other: ContactView::from(other),
        identities: other.identities.iter().map(|i| (i.kind.to_string(), i.value.clone())).collect(),
        conversations,
        notes,
        attributes: other.attributes.keys().filter(|k| !keep.attributes.contains_key(*k)).cloned().collect(),
        fills,
    })
}

async fn build_panel(
    state: &Shared,
    actor: &Actor,
    keep: &Contact,
    typed: String,
    chosen: Option<String>,
) -> Result<Panel, UiError> {
    let mut panel = Panel {
        keep: ContactView::from(keep),
        other: typed,
        errors: FormErrors::none(),
        preview: None,
        candidates: vec![],
    };
    let wanted = chosen.filter(|c| !c.trim().is_empty()).unwrap_or_else(|| panel.other.clone());
    if wanted.trim().is_empty() && panel.other.is_empty() {
        // The page as first opened: nothing asked yet, so nothing to complain about.
        return Ok(panel);
    }
    match pick(state, actor, keep, &wanted).await? {
        Pick::One(other) => panel.preview = Some(preview(state, actor, keep, &other).await?),
        Pick::Several(found) => panel.candidates = found.iter().map(ContactView::from).collect(),
        Pick::Problem(errors) => panel.errors = errors,
    }
    Ok(panel)
}

/// The kept contact of a path, or a redirect when that id was itself merged away.
async fn keep_of(state: &Shared, actor: &Actor, raw: &str) -> Result<Result<Contact, Response>, UiError> {
    let id: ContactId = parse_id(raw, "contact")?;
    let keep = state.app.get_contact(actor, id).await?;
    if keep.id != id {
        return Ok(Err(Redirect::to(&format!("/contacts/{}/merge", keep.id)).into_response()));
    }
    Ok(Ok(keep))
}

/// `GET /contacts/{id}/merge[?other=…]`: the whole page, with the preview when asked.
async fn page(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Query(q): Query<MergeQuery>,
) -> Result<Response, UiError> {
    let keep = match keep_of(&state, &actor, &id).await? {
        Ok(c) => c,
        Err(redirect) => return Ok(redirect),
    };
    let panel = build_panel(&state, &actor, &keep, q.other, q.pick).await?;
    render(&MergePage { chrome: Chrome::load(&state, &actor, "contacts").await?, panel })
}

/// `GET /contacts/{id}/merge/preview?other=…`: the form and preview only (htmx).
async fn panel(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Query(q): Query<MergeQuery>,
) -> Result<Response, UiError> {
    let keep = match keep_of(&state, &actor, &id).await? {
        Ok(c) => c,
        Err(redirect) => return Ok(redirect),
    };
    let mut panel = build_panel(&state, &actor, &keep, q.other, q.pick).await?;
    if panel.preview.is_none() && panel.candidates.is_empty() && !panel.errors.any() {
        panel.errors =
            FormErrors::on("other", "Enter the other contact's id, or a name, e-mail or phone to find them.");
    }
    render(&PanelFragment { panel })
}

#[derive(Deserialize)]
struct MergeForm {
    #[serde(default)]
    other: String,
}

/// `POST /contacts/{id}/merge`: merges `other` into the page's contact and lands on it.
async fn merge(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(form): Form<MergeForm>,
) -> Result<Response, UiError> {
    let keep = match keep_of(&state, &actor, &id).await? {
        Ok(c) => c,
        Err(redirect) => return Ok(redirect),
    };
    let errors = match form.other.trim().parse::<ContactId>() {
        Ok(other) => match state.app.merge_contacts(&actor, keep.id, other).await {
            Ok(kept) => return Ok(Redirect::to(&format!("/contacts/{}", kept.id)).into_response()),
            Err(app::Error::NotFound { .. }) => FormErrors::on("other", "No contact has this id."),
            Err(app::Error::Invalid { message, .. }) => FormErrors::on("other", capital(&message)),
            Err(e) => FormErrors::from_app(e, &["other"])?,
        },
        Err(_) => FormErrors::on("other", "Preview the merge first: pick the contact to merge."),
    };
    let panel = Panel { keep: ContactView::from(&keep), other: form.other, errors, preview: None, candidates: vec![] };
    render(&MergePage { chrome: Chrome::load(&state, &actor, "contacts").await?, panel })
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
