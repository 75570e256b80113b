//! The store/app suite: every use case against a fresh database per test — SQLite by
//! default, PostgreSQL when `CHORUS_TEST_PG_URL` is set.

extern crate chorus_app as app;

mod access;
mod contacts;
mod conversations;
mod email;
mod events;
mod inbound;
mod jobs;
mod routing;
mod rules;
mod search;
mod sla;
mod sunset;
mod widget;

use app::{Actor, App, AppConfig, Clock, InboxInput};
use domain::{Backoff, ChannelKind, Identity, IdentityKind, Inbox, InboxSettings, Millis};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use store::testing::TestStore;

/// A clock tests move by hand.
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

pub struct Ctx {
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub owner: Actor,
    pub inbox: Inbox,
    pub _db: TestStore,
}

pub async fn ctx() -> Ctx {
    ctx_with(store::Durability::Normal).await
}

/// [`ctx`] over a store whose SQLite commits are as durable as `durability` says.
pub async fn ctx_with(durability: store::Durability) -> Ctx {
    let db = store::testing::fresh_with(durability).await.expect("fresh database");
    let clock = Arc::new(ManualClock(AtomicI64::new(1_800_000_000_000)));
    let mut config = AppConfig::new(db.dir.path());
    config.backoff = Backoff { base_ms: 10, max_ms: 100 };
    config.delivery_max_attempts = 4;
    let app = App::new(db.store.clone(), config, clock.clone()).expect("app");
    let (ws, owner) =
        app.bootstrap("Acme Support", "owner@acme.test", "Olga Owner", "correct horse").await.unwrap().unwrap();
    let owner = Actor { workspace_id: ws.id, user_id: owner.id, role: domain::Role::Owner };
    let inbox = app
        .create_inbox(
            &owner,
            InboxInput { kind: ChannelKind::Api, name: "Shop API".into(), settings: InboxSettings::default() },
        )
        .await
        .unwrap();
    Ctx { app, clock, owner, inbox, _db: db }
}

impl Ctx {
    /// A customer message from `email` into the test inbox.
    pub fn inbound(&self, email: &str, pid: Option<&str>, text: &str) -> app::Inbound {
        app::Inbound {
            inbox_id: self.inbox.id,
            provider_message_id: pid.map(String::from),
            from: Identity::parse(IdentityKind::Email, email).unwrap(),
            name: None,
            subject: Some("Order question".into()),
            text: text.into(),
            html: None,
            attachments: vec![],
            routing: Default::default(),
        }
    }

    pub async fn receive(&self, email: &str, pid: Option<&str>, text: &str) -> app::InboundOutcome {
        self.app.receive_inbound(self.owner.workspace_id, self.inbound(email, pid, text)).await.unwrap()
    }

    /// Adds an agent to the workspace and returns them as an actor.
    pub async fn agent(&self, email: &str, name: &str) -> Actor {
        let m = self
            .app
            .create_member(
                &self.owner,
                app::MemberInput {
                    email: email.into(),
                    name: name.into(),
                    password: "agent password".into(),
                    role: domain::Role::Agent,
                },
            )
            .await
            .unwrap();
        Actor { workspace_id: self.owner.workspace_id, user_id: m.user.id, role: m.role }
    }
}
