//! The API channel's sender against a local HTTP receiver that checks signatures the way an
//! integrator would, with `verify`.

use app::{Deliverer, DeliveryRequest};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chorus_channels::api::{ApiDeliverer, ApiSender, DELIVERY_HEADER, OutboundPayload, SIGNATURE_HEADER, verify};
use domain::{
    Author, ChannelKind, Contact, ContactId, Conversation, ConversationId, Direction, Identity, IdentityKind, Inbox,
    InboxId, InboxSettings, InboxStatus, Message, MessageId, MessageKind, Priority, Status, UserId, WorkspaceId,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "whsec_integration";

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
struct Received {
    body: Vec<u8>,
    delivery: Option<String>,
    user_agent: Option<String>,
    content_type: Option<String>,
}

#[derive(Clone)]
struct Receiver {
    /// What it answers to a correctly signed request.
    status: StatusCode,
    answer: &'static str,
    received: Arc<Mutex<Vec<Received>>>,
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

async fn receive(State(rx): State<Receiver>, headers: HeaderMap, body: Bytes) -> (StatusCode, &'static str) {
    let signature = header(&headers, SIGNATURE_HEADER).unwrap_or_default();
    if !verify(SECRET, &body, &signature) {
        return (StatusCode::UNAUTHORIZED, "bad signature");
    }
    rx.received.lock().expect("lock").push(Received {
        body: body.to_vec(),
        delivery: header(&headers, DELIVERY_HEADER),
        user_agent: header(&headers, "user-agent"),
        content_type: header(&headers, "content-type"),
    });
    (rx.status, rx.answer)
}

/// Starts a receiver on a free local port; returns its callback URL and what it records.
async fn start(status: StatusCode, answer: &'static str) -> (String, Arc<Mutex<Vec<Received>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let state = Receiver { status, answer, received: received.clone() };
    let app = Router::new().route("/hook", post(receive)).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), received)
}

fn sender() -> ApiSender {
    ApiSender::new(Duration::from_secs(5)).expect("sender")
}

fn body() -> Vec<u8> {
    br#"{"event":"message.created","delivery_id":"d-1"}"#.to_vec()
}

#[tokio::test]
async fn a_signed_reply_is_taken_and_the_receivers_id_kept() {
    let (url, received) = start(StatusCode::OK, r#"{"id": "prov-77"}"#).await;
    let outcome = sender().send(&url, SECRET, body(), "d-1").await.expect("delivered");
    assert_eq!(outcome.status, 200);
    assert_eq!(outcome.provider_message_id.as_deref(), Some("prov-77"));

    let received = received.lock().expect("lock").clone();
    assert_eq!(received.len(), 1);
    let got = &received[0];
    assert_eq!(got.body, body());
    assert_eq!(got.delivery.as_deref(), Some("d-1"));
    assert_eq!(got.content_type.as_deref(), Some("application/json"));
    assert_eq!(got.user_agent.as_deref(), Some(concat!("Chorus/", env!("CARGO_PKG_VERSION"))));
}

#[tokio::test]
async fn a_rendered_payload_arrives_intact() {
    let (url, received) = start(StatusCode::NO_CONTENT, "").await;
    let body = include_bytes!("../fixtures/api/message_created.json").to_vec();
    let outcome = sender().send(&url, SECRET, body.clone(), "01900000-0000-7000-8000-000000000006").await;
    assert_eq!(outcome.expect("delivered").provider_message_id, None);
    let received = received.lock().expect("lock").clone();
    let payload = OutboundPayload::parse(&received[0].body).expect("a payload");
    assert_eq!(payload.event, "message.created");
    assert_eq!(payload.delivery_id.to_string(), received[0].delivery.clone().unwrap_or_default());
}

#[tokio::test]
async fn a_server_error_is_retryable_and_named() {
    let (url, _) = start(StatusCode::INTERNAL_SERVER_ERROR, "database is down\nsorry").await;
    let err = sender().send(&url, SECRET, body(), "d-2").await.expect_err("refused");
    assert!(!err.permanent);
    assert_eq!(err.message, "callback answered 500 Internal Server Error: database is down sorry");
}

#[tokio::test]
async fn throttling_and_timeouts_are_retryable() {
    for status in [StatusCode::TOO_MANY_REQUESTS, StatusCode::REQUEST_TIMEOUT, StatusCode::SERVICE_UNAVAILABLE] {
        let (url, _) = start(status, "").await;
        let err = sender().send(&url, SECRET, body(), "d-3").await.expect_err("refused");
        assert!(!err.permanent, "{status}");
        assert_eq!(err.message, format!("callback answered {status}"));
    }
}

#[tokio::test]
async fn a_client_error_is_permanent() {
    let (url, received) = start(StatusCode::BAD_REQUEST, "unknown conversation").await;
    let err = sender().send(&url, SECRET, body(), "d-4").await.expect_err("refused");
    assert!(err.permanent);
    assert_eq!(err.message, "callback answered 400 Bad Request: unknown conversation");
    assert_eq!(received.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn the_receiver_refuses_a_wrong_signature() {
    let (url, received) = start(StatusCode::OK, "").await;
    let err = sender().send(&url, "not the inbox secret", body(), "d-5").await.expect_err("refused");
    assert!(err.permanent);
    assert_eq!(err.message, "callback answered 401 Unauthorized: bad signature");
    assert!(received.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn nobody_listening_is_retryable_and_says_so() {
    // Bind a port, then free it, so nothing listens there.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let url = format!("http://{addr}/hook?token=secret");
    let err = sender().send(&url, SECRET, body(), "d-6").await.expect_err("unreachable");
    assert!(!err.permanent);
    assert_eq!(err.message, format!("could not reach callback http://{addr}/hook: connection refused"));
}

#[tokio::test]
async fn a_slow_receiver_times_out_retryably() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    // Accepts connections but never answers.
    let app = Router::new().route(
        "/hook",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::OK
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let sender = ApiSender::new(Duration::from_millis(300)).expect("sender");
    let err = sender.send(&format!("http://{addr}/hook"), SECRET, body(), "d-7").await.expect_err("timed out");
    assert!(!err.permanent);
    assert!(err.message.starts_with("could not reach callback"), "{}", err.message);
    assert!(err.message.contains("timeout"), "{}", err.message);
}

#[tokio::test]
async fn an_unusable_url_is_permanent() {
    let err = sender().send("mailto:ops@example.com", SECRET, body(), "d-8").await.expect_err("refused");
    assert!(err.permanent);
}

/// An API inbox with `callback_url`, and a reply in one of its conversations.
fn reply(callback_url: Option<String>) -> (Inbox, Conversation, Contact, Message) {
    let workspace_id = WorkspaceId::new();
    let inbox = Inbox {
        id: InboxId::new(),
        workspace_id,
        kind: ChannelKind::Api,
        name: "Shop app".into(),
        settings: InboxSettings { callback_url, ..InboxSettings::default() },
        secret: SECRET.into(),
        status: InboxStatus::Active,
        created_at: 1,
    };
    let contact = Contact {
        id: ContactId::new(),
        workspace_id,
        name: Some("Ana Lima".into()),
        company: None,
        attributes: serde_json::Map::new(),
        identities: vec![Identity { kind: IdentityKind::External, value: "cus_42".into() }],
        created_at: 1,
        updated_at: 1,
    };
    let conversation = Conversation {
        id: ConversationId::new(),
        workspace_id,
        number: 7,
        inbox_id: inbox.id,
        contact_id: contact.id,
        subject: None,
        status: Status::Open,
        snoozed_until: None,
        priority: Priority::None,
        assignee_id: None,
        team_id: None,
        labels: vec![],
        participants: vec![],
        message_count: 1,
        waiting_since: Some(1),
        first_response_at: None,
        resolved_at: None,
        reopen_count: 0,
        last_activity_at: 1,
        preview: None,
        last_inbound_at: None,
        created_at: 1,
    };
    let message = Message {
        id: MessageId::new(),
        workspace_id,
        conversation_id: conversation.id,
        inbox_id: inbox.id,
        direction: Direction::Outbound,
        kind: MessageKind::Message,
        author: Author::Agent(UserId::new()),
        text: "Your refund is on its way.".into(),
        html: None,
        attachments: vec![],
        provider_message_id: None,
        delivery_status: None,
        delivery_error: None,
        meta: Default::default(),
        created_at: 2,
    };
    (inbox, conversation, contact, message)
}

fn deliverer() -> ApiDeliverer {
    ApiDeliverer::new(sender(), |a| format!("https://desk.example.com/api/v1/attachments/{}", a.id))
}

#[tokio::test]
async fn the_deliverer_posts_the_reply_to_the_inbox_callback() {
    let (url, received) = start(StatusCode::OK, r#"{"id": "prov-9"}"#).await;
    let (inbox, conversation, contact, message) = reply(Some(url));
    let request = DeliveryRequest {
        inbox: &inbox,
        conversation: &conversation,
        contact: &contact,
        message: &message,
        thread: &[],
        agent_name: None,
        files: &[],
    };
    let provider_id = deliverer().deliver(request).await.expect("delivered");
    assert_eq!(provider_id.as_deref(), Some("prov-9"));

    let received = received.lock().expect("lock").clone();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].delivery, Some(message.id.to_string()));
    let payload = OutboundPayload::parse(&received[0].body).expect("a payload");
    assert_eq!(payload.delivery_id, message.id);
    assert_eq!(payload.conversation.number, 7);
    assert_eq!(payload.contact.identities, contact.identities);
    assert_eq!(payload.message.text, "Your refund is on its way.");
}

#[tokio::test]
async fn the_deliverer_passes_on_what_went_wrong() {
    let (url, _) = start(StatusCode::BAD_GATEWAY, "upstream down").await;
    let (inbox, conversation, contact, message) = reply(Some(url));
    let request = DeliveryRequest {
        inbox: &inbox,
        conversation: &conversation,
        contact: &contact,
        message: &message,
        thread: &[],
        agent_name: None,
        files: &[],
    };
    let err = deliverer().deliver(request).await.expect_err("refused");
    assert!(!err.permanent);
    assert_eq!(err.message, "callback answered 502 Bad Gateway: upstream down");
}

#[tokio::test]
async fn an_inbox_without_a_callback_fails_for_good() {
    let (inbox, conversation, contact, message) = reply(None);
    let request = DeliveryRequest {
        inbox: &inbox,
        conversation: &conversation,
        contact: &contact,
        message: &message,
        thread: &[],
        agent_name: None,
        files: &[],
    };
    let err = deliverer().deliver(request).await.expect_err("nowhere to send");
    assert!(err.permanent);
    assert!(err.message.contains("no callback URL"), "{}", err.message);
}
