//! One contact's page: name and company (edited in place), identities, custom attributes,
//! notes, and their conversations on every channel.
//!
//! Each section is a fragment of its own: an htmx form gets its section back (with the
//! error beside the field and what was typed kept); without htmx the same form posts, and
//! the whole page comes back (on error) or the browser is sent to it (on success).

use super::ContactView;
use crate::Shared;
use crate::ui::view::{parse_id, stamp};
use crate::ui::{Chrome, FormErrors, UiActor, UiError, render, session::is_htmx};
use app::{Actor, ContactPatch};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::{Contact, ContactId, IdentityKind};
use serde::Deserialize;
use std::collections::HashMap;

/// Conversations listed on the page, most recent first.
const CONVERSATIONS: usize = 50;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/contacts/{id}", get(show))
        .route("/contacts/{id}/edit", post(edit))
        .route("/contacts/{id}/identities", post(add_identity))
        .route("/contacts/{id}/identities/remove", post(remove_identity))
        .route("/contacts/{id}/notes", post(add_note))
        .route("/contacts/{id}/attributes", post(set_attribute))
        .route("/contacts/{id}/attributes/remove", post(remove_attribute))
}

#[derive(Default)]
struct EditForm {
    name: String,
    company: String,
    errors: FormErrors,
    saved: bool,
}

#[derive(Default)]
struct IdentityForm {
    kind: String,
    value: String,
    errors: FormErrors,
}

#[derive(Default)]
struct NoteForm {
    body: String,
    errors: FormErrors,
}

#[derive(Default)]
struct AttrForm {
    key: String,
    value: String,
    errors: FormErrors,
}

/// The state of every form on the page: fresh, or one of them as submitted.
struct Forms {
    edit: EditForm,
    identity: IdentityForm,
    note: NoteForm,
    attr: AttrForm,
}

impl Forms {
    fn fresh(c: &Contact) -> Forms {
        Forms {
            edit: EditForm {
                name: c.name.clone().unwrap_or_default(),
                company: c.company.clone().unwrap_or_default(),
                ..Default::default()
            },
            identity: IdentityForm { kind: IdentityKind::Email.to_string(), ..Default::default() },
            note: NoteForm::default(),
            attr: AttrForm::default(),
        }
    }
}

struct NoteView {
    author: String,
    at: String,
    body: String,
}

struct ConvRow {
    id: String,
    number: i64,
    title: String,
    status: String,
    inbox: String,
    at: String,
}

fn kinds() -> Vec<&'static str> {
    IdentityKind::ALL.iter().map(|k| k.as_str()).collect()
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    chrome: Chrome,
    contact: ContactView,
    edit: EditForm,
    identity: IdentityForm,
    note: NoteForm,
    attr: AttrForm,
    kinds: Vec<&'static str>,
    notes: Vec<NoteView>,
    conversations: Vec<ConvRow>,
    more_conversations: bool,
    /// The inbox they moved to from a retiring one, if they did.
    preferred: Option<String>,
}

#[derive(Template)]
#[template(path = "contact_profile.html")]
struct ProfileFragment {
    contact: ContactView,
    edit: EditForm,
}

#[derive(Template)]
#[template(path = "contact_identities.html")]
struct IdentitiesFragment {
    contact: ContactView,
    identity: IdentityForm,
    kinds: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "contact_notes.html")]
struct NotesFragment {
    contact: ContactView,
    notes: Vec<NoteView>,
    note: NoteForm,
}

#[derive(Template)]
#[template(path = "contact_attributes.html")]
struct AttributesFragment {
    contact: ContactView,
    attr: AttrForm,
}

/// The contact of a path; `Err(redirect)` when the id was merged into another contact.
async fn load(state: &Shared, actor: &Actor, raw: &str, rest: &str) -> Result<Result<Contact, Response>, UiError> {
    let id: ContactId = parse_id(raw, "contact")?;
    let contact = state.app.get_contact(actor, id).await?;
    if contact.id != id {
        // A merged-away id resolves to the contact it went into: show that one's address.
        return Ok(Err(Redirect::to(&format!("/contacts/{}{rest}", contact.id)).into_response()));
    }
    Ok(Ok(contact))
}

async fn notes_of(state: &Shared, actor: &Actor, c: &Contact) -> Result<Vec<NoteView>, UiError> {
    let notes = state.app.list_contact_notes(actor, c.id).await?;
    let members = state.app.list_members(actor).await?;
    let names: HashMap<_, _> = members.into_iter().map(|m| (m.user.id, m.user.name)).collect();
    Ok(notes
        .into_iter()
        .map(|n| NoteView {
            author: n.author_id.and_then(|a| names.get(&a).cloned()).unwrap_or_else(|| "Chorus".into()),
            at: stamp(n.created_at),
            body: n.body,
        })
        .collect())
}

async fn full_page(state: &Shared, actor: &Actor, c: &Contact, forms: Forms) -> Result<Response, UiError> {
    let page = state.app.contact_conversations(actor, c.id, None, CONVERSATIONS).await?;
    let inboxes: HashMap<_, _> = state.app.list_inboxes(actor).await?.into_iter().map(|i| (i.id, i.name)).collect();
    let conversations = page
        .items
        .iter()
        .map(|conv| ConvRow {
            id: conv.id.to_string(),
            number: conv.number,
            title: conv.subject.clone().or_else(|| conv.preview.clone()).unwrap_or_else(|| "(no subject)".into()),
            status: conv.status.to_string(),
            inbox: inboxes.get(&conv.inbox_id).cloned().unwrap_or_default(),
            at: stamp(conv.last_activity_at),
        })
        .collect();
    let notes = notes_of(state, actor, c).await?;
    let preferred = state.app.preferred_inbox(actor, c.id).await?.and_then(|(i, _)| inboxes.get(&i).cloned());
    render(&ContactPage {
        chrome: Chrome::load(state, actor, "contacts").await?,
        contact: ContactView::from(c),
        edit: forms.edit,
        identity: forms.identity,
        note: forms.note,
        attr: forms.attr,
        kinds: kinds(),
        notes,
        conversations,
        more_conversations: page.next.is_some(),
        preferred,
    })
}

async fn show(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let contact = match load(&state, &actor, &id, "").await? {
        Ok(c) => c,
        Err(redirect) => return Ok(redirect),
    };
    full_page(&state, &actor, &contact, Forms::fresh(&contact)).await
}

fn back_to(c: &Contact) -> Response {
    Redirect::to(&format!("/contacts/{}", c.id)).into_response()
}

#[derive(Deserialize)]
struct EditInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    company: String,
}

async fn edit(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(input): Form<EditInput>,
) -> Result<Response, UiError> {
    let contact = match load(&state, &actor, &id, "").await? {
        Ok(c) => c,
        Err(redirect) => return Ok(redirect),
    };
    let patch = ContactPatch {
        name: Some(Some(input.name.clone())),
        company: Some(Some(input.company.clone())),
        attributes: None,
    };
    let (contact, form) = match state.app.update_contact(&actor, contact.id, patch).await {
        Ok(updated) => {
            if !is_htmx(&headers) {
                return Ok(back_to(&updated));
            }
            let fresh = Forms::fresh(&updated).edit;
            (updated, EditForm { saved: true, ..fresh })
        }
        Err(e) => {
            let errors = FormErrors::from_app(e, &["name", "company"])?;
            (contact, EditForm { name: input.name, company: input.company, errors, saved: false })
        }
    };
    if is_htmx(&headers) {
        return render(&ProfileFragment { contact: ContactView::from(&contact), edit: form });
    }
    full_page(&state, &actor, &contact, Forms { edit: form, ..Forms::fresh(&contact) }).await
}

#[derive(Deserialize)]
struct IdentityInput {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
}

/// Answers an identity form: the section (htmx), the page (error) or a redirect (success).
async fn identities_answer(
    state: &Shared,
    actor: &Actor,
    headers: &HeaderMap,
    result: Result<Contact, (Contact, IdentityForm)>,
) -> Result<Response, UiError> {
    let (contact, form) = match result {
        Ok(c) if !is_htmx(headers) => return Ok(back_to(&c)),
        Ok(c) => {
            let fresh = Forms::fresh(&c).identity;
            (c, fresh)
        }
        Err(failed) => failed,
    };
    if is_htmx(headers) {
        return render(&IdentitiesFragment { contact: ContactView::from(&contact), identity: form, kinds: kinds() });
    }
    full_page(state, actor, &contact, Forms { identity: form, ..Forms::fresh(&contact) }).await
}

async fn add_identity(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(input): Form<IdentityInput>,
) -> Result<Response, UiError> {
    let contact = match load(&state, &actor, &id, "").await? {
        Ok(c) => c,
        Err(redirect) => return Ok(redirect),
    };
    let attempt = match input.kind.parse::<IdentityKind>() {
        Ok(kind) => state.app.add_identity(&actor, contact.id, kind, &input.value).await,
        Err(_) => Err(app::Error::invalid("kind", "choose what kind of address this is")),
    };
    let result = match attempt {
        Ok(c) => Ok(c),
        Err(e) => {
            let errors = FormErrors::from_app(e, &["kind", "value"])?;
            Err((contact, IdentityForm { kind: input.kind, value: input.value, errors }))
        }
    };
    identities_answer(&state, &actor, &headers, result).await
}

async fn remove_identity(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(input): Form<IdentityInput>,
) -> Result<Response, UiError> {
    let contact = match load(&state, &actor, &id, "").await? {
        Ok(c) => c,
        Err(redirect) => return Ok(redirect),
    };
    let kind = input.kind.parse::<IdentityKind>().map_err(app::Error::from)?;
    let result = match state.app.remove_identity(&actor, contact.id, kind, &input.value).await {
        Ok(c) => Ok(c),
        Err(e) => {
            let errors = FormErrors::from_app(e, &[])?;
            Err((contact, IdentityForm { errors, ..Default::default() }))
        }
    };
    identities_answer(&state, &actor, &headers, result).await
}

#[derive(Deserialize)]
struct NoteInput {
    #[serde(default)]
    body: String,
}

async fn add_note(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(input): Form<NoteInput>,
) -> Result<Response, UiError> {
    let contact = match load(&state, &actor, &id, "").await? {
        Ok(c) => c,
        Err(redirect) => return Ok(redirect),
    };
    let form = match state.app.add_contact_note(&actor, contact.id, &input.body).await {
        Ok(_) if !is_htmx(&headers) => return Ok(back_to(&contact)),
        Ok(_) => NoteForm::default(),
        Err(e) => NoteForm { errors: FormErrors::from_app(e, &["body"])?, body: input.body },
    };
    if is_htmx(&headers) {
        let notes = notes_of(&state, &actor, &contact).await?;
        return render(&NotesFragment { contact: ContactView::from(&contact), notes, note: form });
    }
    full_page(&state, &actor, &contact, Forms { note: form, ..Forms::fresh(&contact) }).await
}

#[derive(Deserialize)]
struct AttrInput {
    #[serde(default)]
    key: String,
    #[serde(default)]
    value: String,
}

/// Sets one attribute (a text value) or, with `remove`, drops it; the rest stay as they are.
async fn change_attribute(
    state: &Shared,
    actor: &Actor,
    headers: &HeaderMap,
    raw_id: &str,
    input: AttrInput,
    remove: bool,
) -> Result<Response, UiError> {
    let contact = match load(state, actor, raw_id, "").await? {
        Ok(c) => c,
        Err(redirect) => return Ok(redirect),
    };
    let value = (!remove).then_some(input.value.as_str());
    let attempt = state.app.set_contact_attribute(actor, contact.id, &input.key, value).await;
    let (contact, form) = match attempt {
        Ok(c) if !is_htmx(headers) => return Ok(back_to(&c)),
        Ok(c) => (c, AttrForm::default()),
        Err(e) => {
            let errors = FormErrors::from_app(e, &["key", "value"])?;
            (contact, AttrForm { key: input.key, value: input.value, errors })
        }
    };
    if is_htmx(headers) {
        return render(&AttributesFragment { contact: ContactView::from(&contact), attr: form });
    }
    full_page(state, actor, &contact, Forms { attr: form, ..Forms::fresh(&contact) }).await
}

async fn set_attribute(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(input): Form<AttrInput>,
) -> Result<Response, UiError> {
    change_attribute(&state, &actor, &headers, &id, input, false).await
}

async fn remove_attribute(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(input): Form<AttrInput>,
) -> Result<Response, UiError> {
    change_attribute(&state, &actor, &headers, &id, input, true).await
}
