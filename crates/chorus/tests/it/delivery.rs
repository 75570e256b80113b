//! Replies to API inboxes are POSTed to a real local receiver, signed, retried with
//! backoff, and dead-lettered when the receiver never accepts.

use app::{Actor, App, AppConfig, InboxInput, ReplyInput, SystemClock, Workers};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use channels::api::{ApiDeliverer, ApiSender, verify};
use domain::{Backoff, ChannelKind, DeliveryStatus, Identity, IdentityKind, InboxSettings, Role};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Receiver {
    secret: Mutex<String>,
    calls: AtomicUsize,
    fail_first: usize,
    accepted: Mutex<Vec<String>>,
}

async fn hook(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    let n = r.calls.fetch_add(1, Ordering::SeqCst);
    let signature = headers.get("x-chorus-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    let secret = r.secret.lock().unwrap().clone();
    if !verify(&secret, &body, signature) {
        return (StatusCode::UNAUTHORIZED, "bad signature".into());
    }
    if n < r.fail_first {
        return (StatusCode::INTERNAL_SERVER_ERROR, "database is down".into());
    }
    let delivery = headers.get("x-chorus-delivery").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    r.accepted.lock().unwrap().push(delivery);
    (StatusCode::OK, r#"{"id":"ext-1"}"#.into())
}

async fn start_receiver(fail_first: usize) -> (Arc<Receiver>, String) {
    let receiver = Arc::new(Receiver { fail_first, ..Default::default() });
    let router = Router::new().route("/hook", post(hook)).with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (receiver, url)
}

struct Setup {
    app: App,
    owner: Actor,
    workers: Workers,
    conversation: domain::ConversationId,
    _db: store::testing::TestStore,
}

async fn setup(callback: &str, receiver: &Receiver) -> Setup {
    let db = store::testing::fresh().await.unwrap();
    let mut config = AppConfig::new(db.dir.path());
    config.backoff = Backoff { base_ms: 20, max_ms: 100 };
    config.delivery_max_attempts = 3;
    let app = App::new(db.store.clone(), config, Arc::new(SystemClock)).unwrap();
    let (ws, user) = app.bootstrap("Acme", "owner@acme.test", "Olga", "long enough").await.unwrap().unwrap();
    let owner = Actor { workspace_id: ws.id, user_id: user.id, role: Role::Owner };
    let settings = InboxSettings { callback_url: Some(callback.into()), ..Default::default() };
    let inbox =
        app.create_inbox(&owner, InboxInput { kind: ChannelKind::Api, name: "Shop".into(), settings }).await.unwrap();
    *receiver.secret.lock().unwrap() = inbox.secret.clone();
    let inbound = app::Inbound {
        inbox_id: inbox.id,
        provider_message_id: Some("m1".into()),
        from: Identity::parse(IdentityKind::Email, "ana@example.com").unwrap(),
        name: Some("Ana".into()),
        subject: None,
        text: "Where is my parcel?".into(),
        html: None,
        attachments: vec![],
        routing: Default::default(),
    };
    let conversation = app.receive_inbound(ws.id, inbound).await.unwrap().conversation.id;
    let sender = ApiSender::new(Duration::from_secs(5)).unwrap();
    let deliverer = ApiDeliverer::new(sender, |a| format!("http://chorus.test/api/v1/attachments/{}", a.id));
    let workers = Workers::new(app.clone()).with_deliverer(ChannelKind::Api, Arc::new(deliverer));
    Setup { app, owner, workers, conversation, _db: db }
}

/// Runs the workers until the reply leaves the queued state (or a few seconds pass).
async fn settle(s: &Setup) -> domain::Message {
    for _ in 0..100 {
        s.workers.run_once().await.unwrap();
        let last = s.app.list_messages(&s.owner, s.conversation, None, 10).await.unwrap().items.pop().unwrap();
        if last.delivery_status != Some(DeliveryStatus::Queued) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the reply never left the queue");
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_the_reply_once() {
    let (receiver, url) = start_receiver(2).await;
    let s = setup(&url, &receiver).await;
    let reply = s
        .app
        .reply(&s.owner, s.conversation, ReplyInput { text: "It ships today!".into(), ..Default::default() })
        .await
        .unwrap();
    let settled = settle(&s).await;
    assert_eq!(settled.id, reply.id);
    assert_eq!(settled.delivery_status, Some(DeliveryStatus::Sent));
    assert_eq!(settled.provider_message_id.as_deref(), Some("ext-1"));
    assert_eq!(receiver.calls.load(Ordering::SeqCst), 3, "two failures, then success");
    assert_eq!(*receiver.accepted.lock().unwrap(), vec![reply.id.to_string()], "accepted exactly once");
    assert!(s.app.dead_jobs(&s.owner, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_receiver_that_always_fails_dead_letters_the_reply() {
    let (receiver, url) = start_receiver(usize::MAX).await;
    let s = setup(&url, &receiver).await;
    s.app.reply(&s.owner, s.conversation, ReplyInput { text: "Hello?".into(), ..Default::default() }).await.unwrap();
    let settled = settle(&s).await;
    assert_eq!(settled.delivery_status, Some(DeliveryStatus::Failed));
    let error = settled.delivery_error.unwrap();
    assert!(error.contains("500") && error.contains("database is down"), "{error}");
    assert_eq!(receiver.calls.load(Ordering::SeqCst), 3, "max_attempts, then no more");
    let dead = s.app.dead_jobs(&s.owner, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some(error.as_str()));
}
