//! The API channel's wire format: the JSON body Chorus POSTs to an inbox's callback URL for
//! each reply, and the `sha256=<hex>` HMAC signature that proves the body came from Chorus.
//!
//! Pure: no I/O, no clock. The same signature scheme checks signed inbound posts, so the
//! web layer calls [`verify`] too.

use domain::{
    Attachment, AttachmentId, Author, Contact, ContactId, Conversation, ConversationId, Identity, Inbox, InboxId,
    Message, MessageId, Millis,
};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// The header carrying the body's signature, `sha256=<lowercase hex>`.
pub const SIGNATURE_HEADER: &str = "x-chorus-signature";

/// The header carrying the delivery id, the same on every retry of one message, so a
/// receiver can drop duplicates.
pub const DELIVERY_HEADER: &str = "x-chorus-delivery";

/// The event name of a reply posted to a callback.
pub const MESSAGE_CREATED: &str = "message.created";

const SIGNATURE_PREFIX: &str = "sha256=";

/// The body POSTed to an API inbox's callback URL for one outbound message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboundPayload {
    /// What happened; always [`MESSAGE_CREATED`] for now.
    pub event: String,
    /// Stable across retries of the same message: receivers de-duplicate on it.
    pub delivery_id: MessageId,
    /// The inbox the reply goes out on.
    pub inbox_id: InboxId,
    /// The conversation it belongs to.
    pub conversation: PayloadConversation,
    /// The customer it is for.
    pub contact: PayloadContact,
    /// The reply itself.
    pub message: PayloadMessage,
}

/// The conversation part of an [`OutboundPayload`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayloadConversation {
    /// Its id.
    pub id: ConversationId,
    /// Its number for humans (#1042).
    pub number: i64,
    /// Its subject, if it has one.
    pub subject: Option<String>,
}

/// The contact part of an [`OutboundPayload`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayloadContact {
    /// Their id.
    pub id: ContactId,
    /// Their name, if known.
    pub name: Option<String>,
    /// Every way to reach them (`{"kind": "external", "value": "cus_42"}`).
    pub identities: Vec<Identity>,
}

/// The message part of an [`OutboundPayload`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayloadMessage {
    /// Its id (the same as the delivery id).
    pub id: MessageId,
    /// Its plain text.
    pub text: String,
    /// Its sanitised HTML, if it has any.
    pub html: Option<String>,
    /// Its attachments, each with a URL to fetch it from.
    pub attachments: Vec<PayloadAttachment>,
    /// Who wrote it.
    pub author: PayloadAuthor,
    /// When it was written, in milliseconds since the Unix epoch.
    pub created_at: Millis,
}

/// An attachment of a [`PayloadMessage`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayloadAttachment {
    /// Its id.
    pub id: AttachmentId,
    /// Its file name.
    pub filename: String,
    /// Its MIME type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// Where to fetch it.
    pub url: String,
}

/// Who wrote a [`PayloadMessage`]: `{"type": "agent", "id": "…"}`; `id` is null for Chorus itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadAuthor {
    /// What kind of author.
    #[serde(rename = "type")]
    pub kind: AuthorKind,
    /// The agent's or contact's id.
    pub id: Option<Uuid>,
}

/// The kinds of [`PayloadAuthor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    /// A teammate.
    Agent,
    /// The customer.
    Contact,
    /// Chorus itself (automatic replies).
    System,
}

impl From<Author> for PayloadAuthor {
    fn from(author: Author) -> Self {
        match author {
            Author::Agent(id) => PayloadAuthor { kind: AuthorKind::Agent, id: Some(id.0) },
            Author::Contact(id) => PayloadAuthor { kind: AuthorKind::Contact, id: Some(id.0) },
            Author::System => PayloadAuthor { kind: AuthorKind::System, id: None },
        }
    }
}

impl OutboundPayload {
    /// Builds the payload for `message`; `attachment_url` says where each attachment can be fetched.
    pub fn new(
        inbox: &Inbox,
        conversation: &Conversation,
        contact: &Contact,
        message: &Message,
        attachment_url: impl Fn(&Attachment) -> String,
    ) -> Self {
        OutboundPayload {
            event: MESSAGE_CREATED.to_string(),
            delivery_id: message.id,
            inbox_id: inbox.id,
            conversation: PayloadConversation {
                id: conversation.id,
                number: conversation.number,
                subject: conversation.subject.clone(),
            },
            contact: PayloadContact {
                id: contact.id,
                name: contact.name.clone(),
                identities: contact.identities.clone(),
            },
            message: PayloadMessage {
                id: message.id,
                text: message.text.clone(),
                html: message.html.clone(),
                attachments: message
                    .attachments
                    .iter()
                    .map(|a| PayloadAttachment {
                        id: a.id,
                        filename: a.filename.clone(),
                        content_type: a.content_type.clone(),
                        size: a.size,
                        url: attachment_url(a),
                    })
                    .collect(),
                author: message.author.into(),
                created_at: message.created_at,
            },
        }
    }

    /// The JSON body.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Plain structs with string keys always serialise; an empty body would in any case be
        // refused by the receiver and show up as a failed delivery rather than pass silently.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a body produced by [`OutboundPayload::to_bytes`] (what a receiver does).
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

/// The JSON body POSTed to the callback for `message`.
pub fn render(
    inbox: &Inbox,
    conversation: &Conversation,
    contact: &Contact,
    message: &Message,
    attachment_url: impl Fn(&Attachment) -> String,
) -> Vec<u8> {
    OutboundPayload::new(inbox, conversation, contact, message, attachment_url).to_bytes()
}

fn mac(secret: &str) -> Option<HmacSha256> {
    // HMAC accepts keys of any length, so this never fails; callers still treat a failure
    // as "no valid signature" rather than panic.
    HmacSha256::new_from_slice(secret.as_bytes()).ok()
}

/// Signs `body` with `secret`: `sha256=` followed by the lowercase hex HMAC-SHA256.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let Some(mut mac) = mac(secret) else {
        // Unreachable (see `mac`); an empty digest is one `verify` never accepts.
        return SIGNATURE_PREFIX.to_string();
    };
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    format!("{SIGNATURE_PREFIX}{}", hex::encode(digest))
}

/// Checks a `sha256=<hex>` signature header against `body` and `secret`, in constant time.
/// Any other form, and hex that does not decode, is refused.
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_digest) = header.trim().strip_prefix(SIGNATURE_PREFIX) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_digest) else {
        return false;
    };
    let Some(mut mac) = mac(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{
        ChannelKind, Direction, IdentityKind, InboxSettings, InboxStatus, MessageKind, Priority, Status, UserId,
        WorkspaceId,
    };

    /// A known vector, computed independently of this code:
    /// `hmac.new(b"key", b"The quick brown fox jumps over the lazy dog", hashlib.sha256).hexdigest()`.
    const FOX_SIGNATURE: &str = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8";
    const FOX: &[u8] = b"The quick brown fox jumps over the lazy dog";

    #[test]
    fn signs_a_known_vector() {
        assert_eq!(sign("key", FOX), FOX_SIGNATURE);
        assert_eq!(
            sign("whsec_test", br#"{"event":"message.created"}"#),
            "sha256=9f5b1358516760b487de1bbe28431076ffbae78988a3e4228399ed133ce9e1ea"
        );
        assert!(verify("key", FOX, FOX_SIGNATURE));
    }

    #[test]
    fn verify_refuses_tampering() {
        assert!(!verify("key", b"The quick brown fox jumps over the lazy cat", FOX_SIGNATURE));
        assert!(!verify("other key", FOX, FOX_SIGNATURE));
        let mut flipped = FOX_SIGNATURE.to_string();
        flipped.pop();
        flipped.push('9');
        assert!(!verify("key", FOX, &flipped));
        // A truncated digest is not a shorter valid one.
        assert!(!verify("key", FOX, &FOX_SIGNATURE[..FOX_SIGNATURE.len() - 2]));
    }

    #[test]
    fn verify_accepts_only_the_sha256_form() {
        let hex_only = FOX_SIGNATURE.trim_start_matches("sha256=");
        assert!(!verify("key", FOX, hex_only));
        assert!(!verify("key", FOX, &format!("sha1={hex_only}")));
        assert!(!verify("key", FOX, "sha256="));
        assert!(!verify("key", FOX, "sha256=zz"));
        assert!(!verify("key", FOX, "sha256=abc"));
        assert!(!verify("key", FOX, ""));
        // Upper-case hex is the same digest.
        assert!(verify("key", FOX, &format!("sha256={}", hex_only.to_uppercase())));
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)
    }

    struct Fixture {
        inbox: Inbox,
        conversation: Conversation,
        contact: Contact,
        message: Message,
    }

    fn fixture() -> Fixture {
        let workspace_id = WorkspaceId(id(1));
        let inbox = Inbox {
            id: InboxId(id(2)),
            workspace_id,
            kind: ChannelKind::Api,
            name: "Shop app".into(),
            settings: InboxSettings {
                callback_url: Some("https://shop.example.com/chorus".into()),
                ..InboxSettings::default()
            },
            secret: "whsec_test".into(),
            status: InboxStatus::Active,
            created_at: 1_700_000_000_000,
        };
        let contact = Contact {
            id: ContactId(id(3)),
            workspace_id,
            name: Some("Ana Lima".into()),
            company: Some("Lima & Filhos".into()),
            attributes: serde_json::Map::new(),
            identities: vec![
                Identity { kind: IdentityKind::External, value: "cus_42".into() },
                Identity { kind: IdentityKind::Email, value: "ana@example.com".into() },
            ],
            created_at: 1_700_000_000_000,
            updated_at: 1_700_000_000_000,
        };
        let conversation = Conversation {
            id: ConversationId(id(4)),
            workspace_id,
            number: 1042,
            inbox_id: inbox.id,
            contact_id: contact.id,
            subject: Some("Order #881 arrived damaged".into()),
            status: Status::Open,
            snoozed_until: None,
            priority: Priority::High,
            assignee_id: Some(UserId(id(5))),
            team_id: None,
            labels: vec!["shipping".into()],
            participants: vec![],
            message_count: 2,
            waiting_since: None,
            first_response_at: Some(1_700_000_100_000),
            resolved_at: None,
            reopen_count: 0,
            last_activity_at: 1_700_000_100_000,
            preview: None,
            last_inbound_at: None,
            created_at: 1_700_000_000_000,
        };
        let message = Message {
            id: MessageId(id(6)),
            workspace_id,
            conversation_id: conversation.id,
            inbox_id: inbox.id,
            direction: Direction::Outbound,
            kind: MessageKind::Message,
            author: Author::Agent(UserId(id(5))),
            text: "Sorry about that, Ana! A replacement is on its way.".into(),
            html: Some("<p>Sorry about that, Ana! A replacement is on its way.</p>".into()),
            attachments: vec![Attachment {
                id: AttachmentId(id(7)),
                workspace_id,
                message_id: Some(MessageId(id(6))),
                filename: "label.pdf".into(),
                content_type: "application/pdf".into(),
                size: 48213,
                sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
                created_at: 1_700_000_100_000,
            }],
            provider_message_id: None,
            delivery_status: None,
            delivery_error: None,
            meta: Default::default(),
            created_at: 1_700_000_100_000,
        };
        Fixture { inbox, conversation, contact, message }
    }

    fn render_fixture(f: &Fixture) -> Vec<u8> {
        render(&f.inbox, &f.conversation, &f.contact, &f.message, |a| {
            format!("https://desk.example.com/api/v1/attachments/{}", a.id)
        })
    }

    #[test]
    fn renders_the_documented_payload() {
        let body = render_fixture(&fixture());
        let got: serde_json::Value = serde_json::from_slice(&body).expect("rendered JSON");
        let want: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/api/message_created.json")).expect("fixture JSON");
        assert_eq!(got, want);
    }

    #[test]
    fn payload_round_trips() {
        let f = fixture();
        let body = render_fixture(&f);
        let parsed = OutboundPayload::parse(&body).expect("a rendered payload parses");
        assert_eq!(parsed.delivery_id, f.message.id);
        assert_eq!(parsed.message.author, PayloadAuthor { kind: AuthorKind::Agent, id: Some(id(5)) });
        assert_eq!(parsed.to_bytes(), body);

        let mut system = f.message.clone();
        system.author = Author::System;
        system.html = None;
        system.attachments.clear();
        let body = render(&f.inbox, &f.conversation, &f.contact, &system, |_| String::new());
        let value: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(value["message"]["author"], serde_json::json!({"type": "system", "id": null}));
        assert_eq!(value["message"]["html"], serde_json::Value::Null);
        let parsed = OutboundPayload::parse(&body).expect("parses");
        assert_eq!(parsed.message.author.kind, AuthorKind::System);
    }

    #[test]
    fn a_rendered_body_verifies_with_the_inbox_secret() {
        let f = fixture();
        let body = render_fixture(&f);
        let signature = sign(&f.inbox.secret, &body);
        assert!(verify(&f.inbox.secret, &body, &signature));
        let mut tampered = body.clone();
        if let Some(b) = tampered.iter_mut().find(|b| **b == b'A') {
            *b = b'B';
        }
        assert!(!verify(&f.inbox.secret, &tampered, &signature));
    }
}
