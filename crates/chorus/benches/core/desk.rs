//! A desk: a store with a workspace, an owner, an API inbox and a token; the real router
//! served in process on a real socket; and the HTTP client the benchmarks time requests
//! with. It sets things up; it measures nothing itself.

use anyhow::{Context, Result, bail};
use app::{Actor, App, AppConfig, InboxInput, SystemClock};
use domain::{ChannelKind, InboxId, InboxSettings, Role, WorkspaceId};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{Durability, Store};

/// The owner every desk is bootstrapped with, and their password.
pub const OWNER_EMAIL: &str = "owner@example.com";
pub const PASSWORD: &str = "bench-password-1";

/// A workspace ready to receive messages through its API inbox.
pub struct Desk {
    pub app: App,
    pub ws: WorkspaceId,
    pub inbox: InboxId,
    pub token: String,
}

/// The SQLite database inside a data directory.
pub fn database(dir: &Path) -> Result<String> {
    dir.join("chorus.db").to_str().map(str::to_string).context("the data directory must be valid UTF-8")
}

/// Opens (and migrates) the store in `dir`.
pub async fn open_app(dir: &Path, durability: Durability) -> Result<App> {
    let store = Store::open(&database(dir)?, durability).await?;
    store.migrate().await?;
    Ok(App::new(store, AppConfig::new(dir), Arc::new(SystemClock))?)
}

/// A new workspace in a new database in `dir`.
pub async fn new_desk(dir: &Path, durability: Durability) -> Result<Desk> {
    let app = open_app(dir, durability).await?;
    let (ws, user) =
        app.bootstrap("Bench support", OWNER_EMAIL, "Owner", PASSWORD).await?.context("the database is not new")?;
    let actor = Actor { workspace_id: ws.id, user_id: user.id, role: Role::Owner };
    let settings = InboxSettings::default();
    let inbox =
        app.create_inbox(&actor, InboxInput { kind: ChannelKind::Api, name: "Shop integration".into(), settings });
    let inbox = inbox.await?;
    let token = app.create_token(&actor, "bench").await?.secret;
    Ok(Desk { app, ws: ws.id, inbox: inbox.id, token })
}

/// The router served in process; abort `task` to stop it.
pub struct Server {
    pub base: String,
    pub task: tokio::task::JoinHandle<()>,
}

/// Serves the real router on a real socket, as `chorus serve` does.
pub async fn serve_in_process(app: App) -> Result<Server> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = web::router(web::AppState { app, config: web::WebConfig::default() });
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await {
            eprintln!("the in-process server stopped: {e}");
        }
    });
    Ok(Server { base: format!("http://{addr}"), task })
}

/// A client that keeps its connection open between requests, so timings do not include
/// connection setup.
pub fn http_client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder().no_proxy().pool_max_idle_per_host(1).build()?)
}

/// The open-conversation counter, as the list's `total` reports it.
pub async fn open_total(desk: &Desk) -> Result<i64> {
    let actor = desk.app.authenticate_token(&desk.token).await?;
    let filter = domain::ConversationFilter { status: Some(domain::Status::Open), ..Default::default() };
    let list = desk.app.list_conversations(&actor, app::ConversationQuery { filter, cursor: None, limit: 1 }).await?;
    list.total.context("the open list has no counter")
}

/// One GET with an API token, timed until the whole body has arrived.
pub async fn timed_get(http: &reqwest::Client, url: &str, token: &str) -> Result<(Duration, Vec<u8>)> {
    let started = Instant::now();
    let response = http.get(url).bearer_auth(token).send().await?;
    let status = response.status();
    let body = response.bytes().await?;
    let took = started.elapsed();
    if !status.is_success() {
        bail!("GET {url}: HTTP {status}: {}", String::from_utf8_lossy(&body));
    }
    Ok((took, body.to_vec()))
}
