//! Settings › Labels: the catalogue offered when labelling conversations. Deleting a label
//! removes it from the catalogue only; conversations keep it.

use super::admin_chrome;
use crate::Shared;
use crate::ui::{Chrome, FormErrors, UiActor, UiError, render};
use app::Actor;
use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn routes() -> Router<Shared> {
    Router::new().route("/settings/labels", get(list).post(create)).route("/settings/labels/delete", post(delete))
}

#[derive(Deserialize, Default)]
struct LabelForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    color: String,
}

#[derive(Template)]
#[template(path = "settings_labels.html")]
struct LabelsPage {
    chrome: Chrome,
    tab: &'static str,
    labels: Vec<app::Label>,
    form: LabelForm,
    errors: FormErrors,
    /// A failed delete, shown above the list.
    list_error: Option<String>,
}

async fn page(
    state: &Shared,
    actor: &Actor,
    form: LabelForm,
    errors: FormErrors,
    list_error: Option<String>,
) -> Result<Response, UiError> {
    let chrome = admin_chrome(state, actor).await?;
    let labels = state.app.list_labels(actor).await?;
    render(&LabelsPage { chrome, tab: "labels", labels, form, errors, list_error })
}

async fn list(State(state): State<Shared>, UiActor(actor): UiActor) -> Result<Response, UiError> {
    let form = LabelForm { color: "#4f46e5".into(), ..Default::default() };
    page(&state, &actor, form, FormErrors::none(), None).await
}

async fn create(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Form(form): Form<LabelForm>,
) -> Result<Response, UiError> {
    super::admins_only(&actor)?;
    match state.app.create_label(&actor, &form.name, &form.color).await {
        Ok(_) => Ok(Redirect::to("/settings/labels").into_response()),
        Err(e) => {
            let errors = FormErrors::from_app(e, &["name", "color"])?;
            page(&state, &actor, form, errors, None).await
        }
    }
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    name: String,
}

async fn delete(
    State(state): State<Shared>,
    UiActor(actor): UiActor,
    Form(form): Form<DeleteForm>,
) -> Result<Response, UiError> {
    super::admins_only(&actor)?;
    match state.app.delete_label(&actor, &form.name).await {
        Ok(()) => Ok(Redirect::to("/settings/labels").into_response()),
        Err(app::Error::NotFound { .. }) => {
            let message = format!("The label “{}” was already deleted.", form.name);
            page(&state, &actor, LabelForm::default(), FormErrors::none(), Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}
