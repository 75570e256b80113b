//! Several `chorus serve` nodes on one PostgreSQL: an event written through one node reaches
//! a live (SSE) client of another. Runs when `CHORUS_TEST_PG_URL` is set.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

struct Node {
    child: Child,
    base: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a node and returns it with the first-start password it printed, if any.
fn start(db_url: &str, data: &std::path::Path) -> (Node, Option<String>) {
    let port = super::free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", db_url])
        .arg("--data-dir")
        .arg(data)
        .env("CHORUS_OWNER_EMAIL", "owner@nodes.test")
        .env("CHORUS_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("chorus starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut password = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the node reports it is listening");
        if let Some(rest) = line.split("with the password ").nth(1) {
            password = rest.split_whitespace().next().map(String::from);
        }
        if line.contains("is listening on") {
            break;
        }
    }
    (Node { child, base: format!("http://127.0.0.1:{port}") }, password)
}

async fn login(client: &reqwest::Client, node: &Node, password: &str) -> String {
    let resp = client
        .post(format!("{}/api/v1/auth/login", node.base))
        .json(&serde_json::json!({ "email": "owner@nodes.test", "password": password }))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "login: {}", resp.status());
    let cookie = resp.headers().get("set-cookie").expect("a session cookie").to_str().unwrap();
    cookie.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn an_event_written_on_one_node_reaches_a_client_of_the_other() {
    let Some(admin_url) = store::testing::postgres_url() else {
        eprintln!("CHORUS_TEST_PG_URL is not set: the multi-node test needs PostgreSQL");
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let db_url = store::testing::fresh_postgres(&admin_url).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (a, password) = start(&db_url, &dir.path().join("a"));
    let password = password.expect("the first node creates the owner");
    let (b, none) = start(&db_url, &dir.path().join("b"));
    assert!(none.is_none(), "the second node finds the workspace already there");

    let client = reqwest::Client::new();
    let cookie_a = login(&client, &a, &password).await;
    let cookie_b = login(&client, &b, &password).await;

    let mut events = client.get(format!("{}/api/v1/events", b.base)).header("cookie", &cookie_b).send().await.unwrap();
    assert!(events.status().is_success());

    let inbox: serde_json::Value = client
        .post(format!("{}/api/v1/inboxes", a.base))
        .header("cookie", &cookie_a)
        .json(&serde_json::json!({ "kind": "api", "name": "Shop" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let inbox_id = inbox["id"].as_str().expect("inbox id");
    let posted = client
        .post(format!("{}/api/v1/inboxes/{inbox_id}/messages", a.base))
        .header("cookie", &cookie_a)
        .json(&serde_json::json!({ "provider_message_id": "n-1", "from": {"kind": "email", "value": "ana@example.com"}, "text": "Hello from node A" }))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 201);

    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !seen.contains("event: message.created") {
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk =
            tokio::time::timeout(left, events.chunk()).await.expect("the event reaches node B in time").unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk.expect("the stream stays open")));
    }
    assert!(seen.contains("id: "), "events carry their sequence number: {seen}");
}
