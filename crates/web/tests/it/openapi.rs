//! The OpenAPI document describes every route the router serves, and only those.

use crate::harness::TestApi;
use axum::http::{Method, StatusCode};
use serde_json::Value;

/// Every endpoint of the API, as (method, path template).
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/api/v1/openapi.json"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/me/password"),
    ("get", "/api/v1/me/tokens"),
    ("post", "/api/v1/me/tokens"),
    ("delete", "/api/v1/me/tokens/{id}"),
    ("get", "/api/v1/workspace"),
    ("patch", "/api/v1/workspace"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("get", "/api/v1/users/{id}"),
    ("patch", "/api/v1/users/{id}"),
    ("get", "/api/v1/teams"),
    ("post", "/api/v1/teams"),
    ("get", "/api/v1/teams/{id}"),
    ("patch", "/api/v1/teams/{id}"),
    ("delete", "/api/v1/teams/{id}"),
    ("get", "/api/v1/inboxes"),
    ("post", "/api/v1/inboxes"),
    ("get", "/api/v1/inboxes/{id}"),
    ("patch", "/api/v1/inboxes/{id}"),
    ("post", "/api/v1/inboxes/{id}/messages"),
    ("post", "/api/v1/inboxes/{id}/mime"),
    ("get", "/api/v1/contacts"),
    ("post", "/api/v1/contacts"),
    ("get", "/api/v1/contacts/{id}"),
    ("patch", "/api/v1/contacts/{id}"),
    ("post", "/api/v1/contacts/{id}/identities"),
    ("delete", "/api/v1/contacts/{id}/identities"),
    ("post", "/api/v1/contacts/{id}/merge"),
    ("get", "/api/v1/contacts/{id}/conversations"),
    ("get", "/api/v1/contacts/{id}/notes"),
    ("post", "/api/v1/contacts/{id}/notes"),
    ("get", "/api/v1/conversations"),
    ("get", "/api/v1/conversations/{id}"),
    ("get", "/api/v1/conversations/{id}/assistant"),
    ("get", "/api/v1/conversations/{id}/messages"),
    ("post", "/api/v1/conversations/{id}/reply"),
    ("post", "/api/v1/conversations/{id}/notes"),
    ("post", "/api/v1/conversations/{id}/assign"),
    ("post", "/api/v1/conversations/{id}/team"),
    ("post", "/api/v1/conversations/{id}/status"),
    ("put", "/api/v1/conversations/{id}/labels"),
    ("post", "/api/v1/conversations/{id}/priority"),
    ("put", "/api/v1/conversations/{id}/participants"),
    ("get", "/api/v1/search"),
    ("get", "/api/v1/notifications"),
    ("post", "/api/v1/notifications/{id}/read"),
    ("post", "/api/v1/notifications/read-all"),
    ("post", "/api/v1/attachments"),
    ("get", "/api/v1/attachments/{id}"),
    ("get", "/api/v1/events"),
    ("get", "/api/v1/presence"),
    ("put", "/api/v1/me/presence"),
    ("post", "/api/v1/me/activity"),
    ("put", "/api/v1/users/{id}/capacity"),
    ("get", "/api/v1/routing/settings"),
    ("put", "/api/v1/routing/settings"),
    ("get", "/api/v1/routing/policies"),
    ("put", "/api/v1/inboxes/{id}/assignment"),
    ("put", "/api/v1/teams/{id}/assignment"),
    ("get", "/api/v1/queue"),
    ("get", "/api/v1/conversations/{id}/queue"),
    ("get", "/api/v1/inboxes/{id}/sunset/contacts"),
    ("get", "/api/v1/sla/policies"),
    ("post", "/api/v1/sla/policies"),
    ("get", "/api/v1/sla/policies/{id}"),
    ("patch", "/api/v1/sla/policies/{id}"),
    ("delete", "/api/v1/sla/policies/{id}"),
    ("get", "/api/v1/conversations/{id}/sla"),
    ("get", "/api/v1/rules"),
    ("post", "/api/v1/rules"),
    ("get", "/api/v1/rules/{id}"),
    ("put", "/api/v1/rules/{id}"),
    ("delete", "/api/v1/rules/{id}"),
];

fn documented(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                out.push((method.to_string(), path.clone()));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_served() {
    let api = TestApi::new().await;
    let doc = api.get("/api/v1/openapi.json").anon().send().await.ok(StatusCode::OK).json;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);

    let mut expected: Vec<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    expected.sort();
    assert_eq!(documented(&doc), expected);

    // Every documented operation is served: none falls through to "no such route" or 405.
    for (method, path) in documented(&doc) {
        let uri = path.replace("{id}", &uuid::Uuid::now_v7().to_string());
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let r = api.req(method.clone(), &uri).anon().send().await;
        assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(r.json["message"] != "no such route", "{method} {path} is documented but not served");
    }
    // And a route that is not documented is not served.
    let r = api.get("/api/v1/conversations/x/y").send().await;
    assert_eq!(r.json["message"], "no such route");
}

#[tokio::test]
async fn every_operation_documents_its_errors_and_every_schema_resolves() {
    let api = TestApi::new().await;
    let doc = api.get("/api/v1/openapi.json").anon().send().await.ok(StatusCode::OK).json;
    for (method, path) in documented(&doc) {
        let op = &doc["paths"][&path][&method];
        assert!(op["responses"]["4XX"].is_object(), "{method} {path} lacks the error response");
        assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{method} {path} has no tag");
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "missing schema {name}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}
