//! The OpenAPI 3.1 document: its header, the security schemes, and the error responses
//! every operation may give. The paths themselves come from the handlers' annotations.

use crate::error::ErrorBody;
use axum::extract::Extension;
use axum::http::header;
use axum::response::IntoResponse;
use std::sync::Arc;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(title = "Chorus API", description = "The omnichannel support desk's REST API. Errors are always \
        `{code, message, hint?, field?, request_id}`; lists are `{items, next_cursor, total?}` with keyset paging."),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "system", description = "Health and this document"),
        (name = "auth", description = "Signing in, your account and API tokens"),
        (name = "workspace", description = "Your workspace"),
        (name = "users", description = "Members and roles"),
        (name = "teams", description = "Teams"),
        (name = "inboxes", description = "Channel instances, and the API channel's inbound endpoint"),
        (name = "contacts", description = "Customers, identities, notes and merges"),
        (name = "conversations", description = "The inbox: conversations, messages and what agents do"),
        (name = "search", description = "Full-text search"),
        (name = "notifications", description = "Mentions and assignments"),
        (name = "attachments", description = "Files"),
        (name = "events", description = "Live events (server-sent events)"),
        (name = "routing", description = "Presence, capacity, assignment policies and the queue"),
        (name = "sla", description = "SLA policies, business hours and each conversation's clocks"),
        (name = "rules", description = "Automation rules"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))),
        );
    }
}

/// Completes the document once every route is in it: the error shape becomes every
/// operation's 4XX and 5XX answer. Returns the document's JSON text.
pub(crate) fn finish(mut doc: Document) -> Arc<str> {
    add_error_responses(&mut doc);
    match serde_json::to_string(&doc) {
        Ok(json) => json.into(),
        Err(e) => {
            tracing::error!(error = %e, "the OpenAPI document could not be serialised");
            Arc::from("{}")
        }
    }
}

fn add_error_responses(doc: &mut Document) {
    {
        let components = doc.components.get_or_insert_with(Default::default);
        components.schemas.insert(ErrorBody::name().into_owned(), ErrorBody::schema());
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ErrorBody"))))
                        .build(),
                )
                .build()
        };
        for item in doc.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in operations.into_iter().flatten() {
                op.responses
                    .responses
                    .entry("4XX".into())
                    .or_insert_with(|| RefOr::T(error("The request was refused; see `code`")));
                op.responses
                    .responses
                    .entry("5XX".into())
                    .or_insert_with(|| RefOr::T(error("Chorus failed; quote `request_id`")));
            }
        }
    }
}

/// The finished document's JSON text, shared by every request.
#[derive(Clone)]
pub(crate) struct DocumentJson(pub(crate) Arc<str>);

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub(crate) async fn document(Extension(DocumentJson(json)): Extension<DocumentJson>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], json.to_string())
}
