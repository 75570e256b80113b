//! The chat widget over a real socket: the WebSocket protocol (hello, messages, live
//! replies, resuming with `last_seq`, bad frames, limits, origins, identification), the
//! waiting-room assistant as the customer meets it, and file upload and download with the
//! visitor token.

use crate::harness::TestApi;
use axum::http::StatusCode;
use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const SHOP: &str = "https://shop.example";

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

struct Widget {
    api: TestApi,
    addr: SocketAddr,
    inbox: String,
    secret: String,
}

impl Widget {
    async fn new(questions: Value) -> Widget {
        let api = TestApi::new().await;
        let inbox = api
            .post(
                "/api/v1/inboxes",
                json!({"kind": "widget", "name": "Site chat", "settings": {"widget": {
                    "color": "#0F766E", "greeting": "Hi!", "allowed_origins": [SHOP], "questions": questions
                }}}),
            )
            .send()
            .await
            .ok(StatusCode::CREATED);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let service = api.router.clone().into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, service).await });
        // Job workers: the assistant's handoff runs as a job once the assignment commits.
        app::Workers::new(api.app.clone()).spawn(1);
        Widget { addr, inbox: inbox.str("id"), secret: inbox.str("secret"), api }
    }

    async fn socket(&self) -> Socket {
        let url = format!("ws://{}/widget/ws", self.addr);
        let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
        socket
    }

    /// A connected visitor: hello said, welcome read.
    async fn visitor(&self, token: Option<&str>, last_seq: Option<i64>) -> (Socket, Value) {
        let mut s = self.socket().await;
        send(
            &mut s,
            json!({"type": "hello", "inbox_id": self.inbox, "token": token, "origin": SHOP, "last_seq": last_seq}),
        )
        .await;
        let welcome = next(&mut s).await;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        (s, welcome)
    }
}

async fn send(s: &mut Socket, v: Value) {
    s.send(Frame::Text(v.to_string().into())).await.expect("send");
}

/// The next JSON frame (pings skipped); fails after five seconds.
async fn next(s: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), s.next()).await.expect("a frame within 5 s");
        match frame {
            Some(Ok(Frame::Text(t))) => return serde_json::from_str(t.as_str()).expect("JSON frame"),
            Some(Ok(Frame::Ping(_) | Frame::Pong(_))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// Frames until one of `kind` arrives (the others are returned too).
async fn until(s: &mut Socket, kind: &str) -> (Value, Vec<Value>) {
    let mut seen = Vec::new();
    loop {
        let f = next(s).await;
        if f["type"] == kind {
            return (f, seen);
        }
        seen.push(f);
    }
}

/// Frames until a message frame whose author is `kind`.
async fn message_from(s: &mut Socket, kind: &str) -> Value {
    loop {
        let f = next(s).await;
        if f["type"] == "message" && f["message"]["author"]["kind"] == kind {
            return f;
        }
    }
}

fn user_hash(secret: &str, email: &str) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(email.as_bytes());
    m.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_customer_writes_and_the_agents_reply_arrives_live() {
    let w = Widget::new(json!([])).await;
    let (mut s, welcome) = w.visitor(None, None).await;
    let token = welcome["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("wv_"), "{welcome}");
    assert!(welcome["conversation_id"].is_null() && welcome["messages"] == json!([]), "{welcome}");
    assert_eq!(welcome["status"]["online"], false, "nobody is online yet: {welcome}");

    send(&mut s, json!({"type": "message", "client_id": "c-1", "text": "Where is my parcel?"})).await;
    let (ack, _) = until(&mut s, "ack").await;
    assert_eq!(
        (ack["client_id"].as_str(), ack["message"]["text"].as_str()),
        (Some("c-1"), Some("Where is my parcel?"))
    );
    assert_eq!(ack["message"]["direction"], "in");
    // Nobody online: the assistant says so at once and asks where to answer.
    let away = message_from(&mut s, "assistant").await;
    let text = away["message"]["text"].as_str().unwrap();
    assert!(text.contains("Nobody from the team is online") && text.contains("e-mail address"), "{text}");

    // The agent sees the conversation and replies; the reply reaches the widget live.
    let conv = ack["message"]["id"].as_str().map(|_| ()).and(Some(()));
    assert!(conv.is_some());
    let list = w.api.get("/api/v1/conversations?status=open").send().await.ok(StatusCode::OK);
    let conversation = list.json["items"][0]["id"].as_str().unwrap().to_string();
    w.api
        .post(&format!("/api/v1/conversations/{conversation}/reply"), json!({"text": "It left the warehouse today."}))
        .send()
        .await
        .ok(StatusCode::CREATED);
    let reply = message_from(&mut s, "agent").await;
    assert_eq!(reply["message"]["text"], "It left the warehouse today.");
    assert_eq!(reply["message"]["author"]["name"], "Olga Owner");
    assert!(reply["seq"].as_i64().unwrap() > 0);

    // A note never reaches the customer.
    w.api
        .post(&format!("/api/v1/conversations/{conversation}/notes"), json!({"text": "VIP, be nice"}))
        .send()
        .await
        .ok(StatusCode::CREATED);
    send(&mut s, json!({"type": "ping"})).await;
    let (pong, between) = until(&mut s, "pong").await;
    assert_eq!(pong["type"], "pong");
    assert!(between.iter().all(|f| !f.to_string().contains("VIP")), "{between:?}");

    // Read receipt: the reply becomes delivered.
    let reply_id = reply["message"]["id"].as_str().unwrap();
    send(&mut s, json!({"type": "read", "message_id": reply_id})).await;
    let mut delivered = false;
    for _ in 0..50 {
        let msgs = w.api.get(&format!("/api/v1/conversations/{conversation}/messages")).send().await;
        let item = msgs.json["items"].as_array().unwrap().iter().find(|m| m["id"] == reply_id).cloned().unwrap();
        if item["delivery_status"] == "delivered" {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delivered, "the read receipt marks the reply delivered");

    // A page reload: the same token brings the whole history back, once each.
    drop(s);
    let (_s2, again) = w.visitor(Some(&token), None).await;
    assert_eq!(again["token"], token.as_str());
    let texts: Vec<&str> = again["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert_eq!((texts[0], texts[2]), ("Where is my parcel?", "It left the warehouse today."));
}

#[tokio::test]
async fn reconnecting_with_last_seq_replays_only_what_was_missed() {
    let w = Widget::new(json!([])).await;
    let (mut s, welcome) = w.visitor(None, None).await;
    let token = welcome["token"].as_str().unwrap().to_string();
    send(&mut s, json!({"type": "message", "client_id": "a1", "text": "Hello"})).await;
    let (ack, _) = until(&mut s, "ack").await;
    let greeting = message_from(&mut s, "assistant").await;
    let last_seq = greeting["seq"].as_i64().unwrap();
    drop(s);

    let conversation =
        w.api.get("/api/v1/conversations").send().await.json["items"][0]["id"].as_str().unwrap().to_string();
    for text in ["First answer", "Second answer"] {
        w.api
            .post(&format!("/api/v1/conversations/{conversation}/reply"), json!({"text": text}))
            .send()
            .await
            .ok(StatusCode::CREATED);
    }
    let (mut s, welcome) = w.visitor(Some(&token), Some(last_seq)).await;
    let texts: Vec<&str> =
        welcome["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert!(texts.contains(&"First answer") && texts.contains(&"Second answer"), "{texts:?}");
    assert!(!texts.contains(&"Hello"), "what the client had is not replayed: {texts:?}");
    assert!(welcome["seq"].as_i64().unwrap() > last_seq);

    // Resending an unacknowledged message with its client id never duplicates it.
    send(&mut s, json!({"type": "message", "client_id": "a1", "text": "Hello"})).await;
    let (again, _) = until(&mut s, "ack").await;
    assert_eq!(again["message"]["id"], ack["message"]["id"]);
    let msgs = w.api.get(&format!("/api/v1/conversations/{conversation}/messages")).send().await;
    let hellos = msgs.json["items"].as_array().unwrap().iter().filter(|m| m["text"] == "Hello").count();
    assert_eq!(hellos, 1);
}

#[tokio::test]
async fn bad_frames_get_a_clear_error_and_the_connection_stays_usable() {
    let w = Widget::new(json!([])).await;
    let mut s = w.socket().await;
    send(&mut s, json!({"type": "message", "client_id": "x", "text": "hi"})).await;
    assert_eq!(next(&mut s).await["code"], "not_hello");
    s.send(Frame::Text("this is not json".into())).await.unwrap();
    let bad = next(&mut s).await;
    assert_eq!(bad["code"], "bad_frame", "{bad}");
    send(&mut s, json!({"type": "dance"})).await;
    let unknown = next(&mut s).await;
    assert!(unknown["code"] == "bad_frame" && unknown["message"].as_str().unwrap().contains("dance"), "{unknown}");
    send(&mut s, json!({"type": "hello", "inbox_id": w.inbox, "token": "wv_forged", "origin": SHOP})).await;
    let forged = next(&mut s).await;
    assert_eq!(forged["code"], "unknown_token", "{forged}");
    send(&mut s, json!({"type": "hello", "inbox_id": "nope", "origin": SHOP})).await;
    assert_eq!(next(&mut s).await["code"], "invalid");
    // Still usable: a hello without a token starts a new visitor.
    send(&mut s, json!({"type": "hello", "inbox_id": w.inbox, "token": null, "origin": SHOP})).await;
    assert_eq!(next(&mut s).await["type"], "welcome");
    send(&mut s, json!({"type": "message", "client_id": "bad id!", "text": "hi"})).await;
    let bad_id = next(&mut s).await;
    assert!(bad_id["code"] == "invalid" && bad_id["message"].as_str().unwrap().contains("client_id"), "{bad_id}");
    let long = "x".repeat(app::MAX_WIDGET_TEXT + 1);
    send(&mut s, json!({"type": "message", "client_id": "long", "text": long})).await;
    let too_long = next(&mut s).await;
    assert_eq!((too_long["code"].as_str(), too_long["client_id"].as_str()), (Some("too_long"), Some("long")));
    send(&mut s, json!({"type": "message", "client_id": "empty", "text": "   "})).await;
    assert_eq!(next(&mut s).await["code"], "invalid");
    send(&mut s, json!({"type": "message", "client_id": "ok", "text": "Still here"})).await;
    let (ack, _) = until(&mut s, "ack").await;
    assert_eq!(ack["message"]["text"], "Still here");

    // A frame over the limit closes the connection with 1009 (message too big).
    let huge = json!({"type": "message", "client_id": "huge", "text": "y".repeat(chorus_web::MAX_FRAME)});
    let _ = s.send(Frame::Text(huge.to_string().into())).await;
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(5), s.next()).await.expect("closes") {
            Some(Ok(Frame::Close(c))) => break c.map(|c| u16::from(c.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => break None,
        }
    };
    assert_eq!(closed, Some(1009));
}

#[tokio::test]
async fn a_site_not_allowed_and_a_foreign_handshake_are_refused() {
    let w = Widget::new(json!([])).await;
    let mut s = w.socket().await;
    send(&mut s, json!({"type": "hello", "inbox_id": w.inbox, "origin": "https://evil.example"})).await;
    let refused = next(&mut s).await;
    assert_eq!(refused["code"], "origin_not_allowed", "{refused}");
    let closed = tokio::time::timeout(Duration::from_secs(5), s.next()).await.expect("closes");
    assert!(matches!(closed, Some(Ok(Frame::Close(Some(_))))), "{closed:?}");

    // A browser page on another site cannot open the socket directly.
    let mut req = format!("ws://{}/widget/ws", w.addr).into_client_request().unwrap();
    req.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    let err = tokio_tungstenite::connect_async(req).await.expect_err("refused");
    assert!(err.to_string().contains("403"), "{err}");
}

#[tokio::test]
async fn a_signed_in_user_becomes_their_contact_and_a_wrong_hash_is_refused() {
    let w = Widget::new(json!([])).await;
    // Mari wrote by e-mail (API channel here) before.
    let (api_inbox, _) = w.api.api_inbox("Mail").await;
    w.api.inbound(&api_inbox, "m-1", "mari@example.com", "Earlier question").await.ok(StatusCode::CREATED);

    let (mut s, _) = w.visitor(None, None).await;
    send(&mut s, json!({"type": "message", "client_id": "w1", "text": "Hi from the site"})).await;
    until(&mut s, "ack").await;
    send(&mut s, json!({"type": "identify", "email": "mari@example.com", "name": "Mari", "user_hash": "00ff"})).await;
    let (refused, _) = until(&mut s, "error").await;
    assert_eq!(refused["code"], "bad_user_hash", "{refused}");

    let hash = user_hash(&w.secret, "mari@example.com");
    send(&mut s, json!({"type": "identify", "email": "mari@example.com", "name": "Mari", "user_hash": hash})).await;
    let (ok, _) = until(&mut s, "identified").await;
    assert_eq!(ok["contact"]["email"], "mari@example.com");

    // One contact now holds both conversations: the e-mail one and the chat.
    let contacts = w.api.get("/api/v1/contacts").send().await.ok(StatusCode::OK);
    let people = contacts.json["items"].as_array().unwrap();
    assert_eq!(people.len(), 1, "{people:?}");
    let id = people[0]["id"].as_str().unwrap();
    let convs = w.api.get(&format!("/api/v1/contacts/{id}/conversations")).send().await.ok(StatusCode::OK);
    assert_eq!(convs.json["items"].as_array().unwrap().len(), 2, "{}", convs.json);
    // The chat keeps working as that contact.
    send(&mut s, json!({"type": "message", "client_id": "w2", "text": "Me again"})).await;
    let (ack, _) = until(&mut s, "ack").await;
    assert_eq!(ack["message"]["text"], "Me again");
}

#[tokio::test]
async fn the_assistant_keeps_the_place_asks_its_questions_and_hands_over() {
    let w = Widget::new(json!([
        {"key": "name", "prompt": "What's your name?"},
        {"key": "order", "prompt": "What's your order number?"}
    ]))
    .await;
    // Someone is online, but the inbox is assigned by hand: the customer waits in the queue.
    w.api.put("/api/v1/me/presence", json!({"presence": "online"})).send().await.ok(StatusCode::OK);
    let (mut s, welcome) = w.visitor(None, None).await;
    assert_eq!(welcome["status"]["online"], true, "{welcome}");
    send(&mut s, json!({"type": "message", "client_id": "q1", "text": "My order is late"})).await;
    let greeting = message_from(&mut s, "assistant").await;
    let text = greeting["message"]["text"].as_str().unwrap();
    assert!(text.contains("your place in line is kept") && text.contains("You're next in line."), "{text}");
    assert!(text.ends_with("What's your name?"), "{text}");
    let (queue, _) = until(&mut s, "queue").await;
    assert_eq!((queue["queue"]["waiting"].as_bool(), queue["queue"]["position"].as_i64()), (Some(true), Some(1)));

    send(&mut s, json!({"type": "message", "client_id": "q2", "text": "Mari"})).await;
    let ask = message_from(&mut s, "assistant").await;
    assert_eq!(ask["message"]["text"], "What's your order number?");
    send(&mut s, json!({"type": "message", "client_id": "q3", "text": "A-1042"})).await;
    let thanks = message_from(&mut s, "assistant").await;
    assert!(thanks["message"]["text"].as_str().unwrap().starts_with("Thank you"), "{thanks}");

    // The agent sees what the assistant collected.
    let conversation =
        w.api.get("/api/v1/conversations").send().await.json["items"][0]["id"].as_str().unwrap().to_string();
    let learned = w.api.get(&format!("/api/v1/conversations/{conversation}/assistant")).send().await.ok(StatusCode::OK);
    assert_eq!(
        learned.json["answers"],
        json!([{"key": "name", "answer": "Mari"}, {"key": "order", "answer": "A-1042"}])
    );
    let contact = w.api.get("/api/v1/contacts").send().await.json["items"][0].clone();
    assert_eq!(contact["name"], "Mari");
    let session = w.api.session(crate::harness::OWNER_EMAIL).await;
    let page = w.api.get(&format!("/conversations/{conversation}")).anon().cookie(&session).send().await;
    let html = page.ok(StatusCode::OK).text();
    let notes = html.split("assistant-notes").nth(1).expect("the assistant's findings are shown");
    assert!(notes.contains("order") && notes.contains("A-1042") && notes.contains("Mari"), "{notes}");

    // The agent takes the chat: the widget is told, and the assistant introduces them.
    let me = w.api.get("/api/v1/me").send().await.ok(StatusCode::OK);
    let my_id = me.json["user"]["id"].as_str().or(me.json["id"].as_str()).unwrap().to_string();
    w.api
        .post(&format!("/api/v1/conversations/{conversation}/assign"), json!({"user_id": my_id}))
        .send()
        .await
        .ok(StatusCode::OK);
    let (agent, _) = until(&mut s, "agent").await;
    assert_eq!(agent["name"], "Olga Owner");
    let handoff = message_from(&mut s, "assistant").await;
    assert_eq!(handoff["message"]["text"], "Olga Owner has joined the conversation and will help you from here.");
    let learned = w.api.get(&format!("/api/v1/conversations/{conversation}/assistant")).send().await;
    assert_eq!(learned.json["stage"], "handed_over");
}

#[tokio::test]
async fn files_go_up_and_come_down_with_the_visitor_token_only() {
    let w = Widget::new(json!([])).await;
    let (mut s, welcome) = w.visitor(None, None).await;
    let token = welcome["token"].as_str().unwrap().to_string();
    let up = w
        .api
        .req(axum::http::Method::POST, "/widget/upload?name=receipt.txt")
        .anon()
        .header(chorus_web::VISITOR_HEADER, &token)
        .raw("total: 42 EUR", Some("text/plain"))
        .send()
        .await
        .ok(StatusCode::CREATED);
    let file = up.str("id");
    send(&mut s, json!({"type": "message", "client_id": "f1", "text": "", "attachments": [file]})).await;
    let (ack, _) = until(&mut s, "ack").await;
    assert_eq!(ack["message"]["attachments"][0]["name"], "receipt.txt");

    let down = w
        .api
        .get(&format!("/widget/files/{file}"))
        .anon()
        .header(chorus_web::VISITOR_HEADER, &token)
        .send()
        .await
        .ok(StatusCode::OK);
    assert_eq!(down.bytes, b"total: 42 EUR");
    // Another visitor of the same inbox cannot read it; no token at all is refused.
    let (_other, other) = w.visitor(None, None).await;
    w.api
        .get(&format!("/widget/files/{file}"))
        .anon()
        .header(chorus_web::VISITOR_HEADER, other["token"].as_str().unwrap())
        .send()
        .await
        .err(StatusCode::NOT_FOUND, "not_found");
    w.api.get(&format!("/widget/files/{file}")).anon().send().await.err(StatusCode::UNAUTHORIZED, "unauthenticated");
}
