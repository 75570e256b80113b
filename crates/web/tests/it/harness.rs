//! A fresh app on a fresh database behind the real router, with one workspace and its owner
//! signed in through an API token, and a small request builder.

use app::{Actor, App, AppConfig, SystemClock};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use chorus_web::{AppState, WebConfig};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

pub const OWNER_EMAIL: &str = "owner@example.com";
pub const PASSWORD: &str = "correct horse battery";

/// Knobs for one test's server.
pub struct Options {
    pub web: WebConfig,
    pub attachment_max_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options { web: WebConfig::default(), attachment_max_bytes: 1024 * 1024 }
    }
}

pub struct TestApi {
    pub router: Router,
    pub app: App,
    /// The owner's API token.
    pub token: String,
    pub owner: Actor,
    _db: store::testing::TestStore,
}

impl TestApi {
    pub async fn new() -> TestApi {
        TestApi::with(Options::default()).await
    }

    pub async fn with(options: Options) -> TestApi {
        let db = store::testing::fresh().await.expect("fresh database");
        let mut config = AppConfig::new(db.dir.path());
        config.attachment_max_bytes = options.attachment_max_bytes;
        let app = App::new(db.store.clone(), config, Arc::new(SystemClock)).expect("app");
        app.bootstrap("Acme Support", OWNER_EMAIL, "Olga Owner", PASSWORD)
            .await
            .expect("bootstrap")
            .expect("first workspace");
        let login = app.login(OWNER_EMAIL, PASSWORD).await.expect("owner login");
        let token = app.create_token(&login.actor, "tests").await.expect("token").secret;
        let router = chorus_web::router(AppState { app: app.clone(), config: options.web });
        TestApi { router, app, token, owner: login.actor, _db: db }
    }

    /// A session cookie (`chorus_session=…`) for a fresh sign-in of `email`, as the UI uses.
    pub async fn session(&self, email: &str) -> String {
        let login = self.app.login(email, PASSWORD).await.expect("sign in");
        format!("{}={}", chorus_web::SESSION_COOKIE, login.token)
    }

    /// A request signed in as the owner (change with `.bearer`, `.cookie` or `.anon`).
    pub fn req(&self, method: Method, uri: &str) -> Req {
        Req {
            router: self.router.clone(),
            builder: Request::builder().method(method).uri(uri),
            auth: Some(self.token.clone()),
            body: Body::empty(),
        }
    }

    pub fn get(&self, uri: &str) -> Req {
        self.req(Method::GET, uri)
    }

    pub fn post(&self, uri: &str, body: Value) -> Req {
        self.req(Method::POST, uri).json(body)
    }

    pub fn patch(&self, uri: &str, body: Value) -> Req {
        self.req(Method::PATCH, uri).json(body)
    }

    pub fn put(&self, uri: &str, body: Value) -> Req {
        self.req(Method::PUT, uri).json(body)
    }

    pub fn delete(&self, uri: &str) -> Req {
        self.req(Method::DELETE, uri)
    }

    /// Adds a member with `role` and returns their user id and an API token.
    pub async fn member(&self, email: &str, role: &str) -> (String, String) {
        let user = self
            .post(
                "/api/v1/users",
                json!({"email": email, "name": email.split('@').next().unwrap(), "password": PASSWORD, "role": role}),
            )
            .send()
            .await
            .ok(StatusCode::CREATED);
        let login = self.app.login(email, PASSWORD).await.expect("member login");
        let token = self.app.create_token(&login.actor, "tests").await.expect("token").secret;
        (user.str("id"), token)
    }

    /// Creates an API inbox and returns its id and secret.
    pub async fn api_inbox(&self, name: &str) -> (String, String) {
        let inbox = self
            .post(
                "/api/v1/inboxes",
                json!({"kind": "api", "name": name, "settings": {"callback_url": "http://127.0.0.1:9/hook"}}),
            )
            .send()
            .await
            .ok(StatusCode::CREATED);
        (inbox.str("id"), inbox.str("secret"))
    }

    /// Posts a customer message to an API inbox with the owner's token.
    pub async fn inbound(&self, inbox: &str, provider_id: &str, from: &str, text: &str) -> Resp {
        self.post(
            &format!("/api/v1/inboxes/{inbox}/messages"),
            json!({"provider_message_id": provider_id, "from": {"kind": "email", "value": from}, "text": text}),
        )
        .send()
        .await
    }

    /// A conversation opened by a customer message; returns (conversation id, inbox id).
    pub async fn conversation(&self) -> (String, String) {
        let (inbox, _) = self.api_inbox("Shop API").await;
        let r = self.inbound(&inbox, "m-1", "ana@example.com", "My parcel never arrived").await.ok(StatusCode::CREATED);
        (r.json["conversation"]["id"].as_str().unwrap().to_string(), inbox)
    }
}

pub struct Req {
    router: Router,
    builder: axum::http::request::Builder,
    auth: Option<String>,
    body: Body,
}

impl Req {
    pub fn json(mut self, body: Value) -> Req {
        self.builder = self.builder.header(header::CONTENT_TYPE, "application/json");
        self.body = Body::from(body.to_string());
        self
    }

    pub fn raw(mut self, body: impl Into<Body>, content_type: Option<&str>) -> Req {
        if let Some(ct) = content_type {
            self.builder = self.builder.header(header::CONTENT_TYPE, ct);
        }
        self.body = body.into();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.builder = self
            .builder
            .header(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
        self
    }

    /// A form post as a browser sends it from one of our pages (same-origin Fetch metadata).
    pub fn form(mut self, fields: &[(&str, &str)]) -> Req {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        self.builder = self
            .builder
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin");
        self.body = Body::from(body);
        self
    }

    /// Marks the request as sent by htmx from `page` (it then wants a fragment).
    pub fn htmx(self, page: &str) -> Req {
        self.header("hx-request", "true").header("hx-current-url", &format!("http://chorus.test{page}"))
    }

    pub fn bearer(mut self, token: &str) -> Req {
        self.auth = Some(token.to_string());
        self
    }

    pub fn anon(mut self) -> Req {
        self.auth = None;
        self
    }

    pub fn cookie(self, cookie: &str) -> Req {
        self.anon().header("cookie", cookie)
    }

    pub fn build(self) -> (Router, Request<Body>) {
        let mut builder = self.builder;
        if let Some(token) = self.auth {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        (self.router, builder.body(self.body).unwrap())
    }

    /// Sends the request and reads the whole response.
    pub async fn send(self) -> Resp {
        let (router, req) = self.build();
        let res = router.oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp { status, headers, json, bytes }
    }

    /// Sends the request and returns the response with its body unread (streams).
    pub async fn open(self) -> axum::http::Response<Body> {
        let (router, req) = self.build();
        router.oneshot(req).await.unwrap()
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
    pub bytes: Vec<u8>,
}

impl Resp {
    /// Asserts the status (showing the body when it differs) and returns self.
    #[track_caller]
    pub fn ok(self, status: StatusCode) -> Resp {
        assert_eq!(self.status, status, "unexpected status; body: {}", String::from_utf8_lossy(&self.bytes));
        self
    }

    /// Asserts an error response: its status, its code, and the error shape with the request id.
    #[track_caller]
    pub fn err(self, status: StatusCode, code: &str) -> Resp {
        let resp = self.ok(status);
        assert_eq!(resp.json["code"], code, "body: {}", resp.json);
        assert!(resp.json["message"].as_str().is_some_and(|m| !m.is_empty()), "body: {}", resp.json);
        let id = resp.headers.get("x-request-id").and_then(|v| v.to_str().ok()).expect("x-request-id header");
        assert_eq!(resp.json["request_id"], id, "body: {}", resp.json);
        resp
    }

    /// The body as text (pages and fragments).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// Where a redirect points.
    #[track_caller]
    pub fn location(&self) -> String {
        let l = self.headers.get("location").or_else(|| self.headers.get("hx-redirect"));
        l.and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no redirect; status {}", self.status)).to_string()
    }

    /// A string member of the body.
    #[track_caller]
    pub fn str(&self, key: &str) -> String {
        self.json[key].as_str().unwrap_or_else(|| panic!("no string {key:?} in {}", self.json)).to_string()
    }

    /// The `items` of a list body.
    #[track_caller]
    pub fn items(&self) -> Vec<Value> {
        self.json["items"].as_array().unwrap_or_else(|| panic!("no items in {}", self.json)).clone()
    }
}
