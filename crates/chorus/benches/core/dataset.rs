//! The data set the read benchmarks run against: `scale` conversations with one customer
//! message each, built once under `<target>/bench-data/scale-<N>/` and reused by later runs
//! (a `bench.json` marker says the build finished). It writes rows directly in large
//! transactions; it is not a measure of ingest, which `ingest` times through the API.

use crate::desk::{Desk, new_desk, open_total};
use crate::figures::{Row, group};
use crate::text::{email, message, name};
use anyhow::{Context, Result, bail};
use app::{Clock, SystemClock};
use domain::{Identity, IdentityKind, Millis};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use store::Durability;

/// Messages written per transaction while building the data set.
const BUILD_BATCH: usize = 1_000;

/// `<target>/bench-data`, beside the release `chorus` binary cargo built for the benchmarks.
pub fn bench_data_root() -> Result<PathBuf> {
    let binary = Path::new(env!("CARGO_BIN_EXE_chorus"));
    let target =
        binary.parent().and_then(Path::parent).context("the chorus binary is not inside a target directory")?;
    Ok(target.join("bench-data"))
}

/// What a finished build leaves beside the database; its presence means the build completed.
#[derive(Serialize, Deserialize)]
pub struct Marker {
    pub scale: usize,
    pub conversations: i64,
    pub messages: usize,
    /// An API token of the owner.
    pub token: String,
    pub build_seconds: f64,
}

/// A finished data set.
pub struct DataSet {
    pub dir: PathBuf,
    pub marker: Marker,
    /// Built by this run rather than reused.
    pub built_now: bool,
}

impl DataSet {
    /// The summary's line for the build: its time, and whether this run paid for it.
    pub fn build_row(&self) -> Row {
        let seconds = self.marker.build_seconds;
        let measured = if self.built_now { format!("{seconds:.0} s") } else { format!("{seconds:.0} s (earlier run)") };
        Row::new("data set build", measured, "", None)
    }
}

/// The data set of `scale` conversations under `root`, built unless an earlier run left it.
pub async fn dataset(root: &Path, scale: usize) -> Result<DataSet> {
    let dir = root.join(format!("scale-{scale}"));
    let marker_path = dir.join("bench.json");
    if let Ok(text) = std::fs::read_to_string(&marker_path) {
        match serde_json::from_str::<Marker>(&text) {
            Ok(marker) if marker.scale == scale && dir.join("chorus.db").exists() => {
                println!(
                    "reusing {} ({} conversations, {} messages, built in {:.0} s by an earlier run)",
                    dir.display(),
                    group(marker.conversations as usize),
                    group(marker.messages),
                    marker.build_seconds
                );
                return Ok(DataSet { dir, marker, built_now: false });
            }
            _ => println!("{} is from another build; building again", marker_path.display()),
        }
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    println!(
        "building {} conversations, one customer message each, {} per transaction (Durability::Normal) in {}",
        group(scale),
        group(BUILD_BATCH),
        dir.display()
    );
    let desk = new_desk(&dir, Durability::Normal).await?;
    let started = Instant::now();
    let mut last_report = Instant::now();
    // Activity times spread over the last 60 days, oldest first.
    let span: Millis = 60 * 24 * 3_600_000;
    let first = SystemClock.now() - span;
    let step = (span / scale as i64).max(1);
    let store = desk.app.store().clone();
    let mut done = 0;
    while done < scale {
        let end = (done + BUILD_BATCH).min(scale);
        let mut tx = store.write().await?;
        let mut counters = std::collections::BTreeMap::new();
        for i in done..end {
            for key in write_new_conversation(&mut tx, &desk, i, first + i as i64 * step).await? {
                *counters.entry(key).or_insert(0) += 1;
            }
        }
        for (key, delta) in counters {
            tx.bump_counter(desk.ws, &key, delta).await?;
        }
        tx.commit().await?;
        done = end;
        if last_report.elapsed() >= Duration::from_secs(30) {
            last_report = Instant::now();
            let secs = started.elapsed().as_secs_f64();
            println!("  {} / {} after {secs:.0} s ({:.0} messages/s)", group(done), group(scale), done as f64 / secs);
        }
    }
    let build_seconds = started.elapsed().as_secs_f64();
    let conversations = open_total(&desk).await?;
    desk.app.store().close().await;
    println!(
        "built {} conversations in {build_seconds:.0} s ({:.0} messages/s)",
        group(conversations as usize),
        scale as f64 / build_seconds
    );
    if conversations != scale as i64 {
        bail!("the data set has {conversations} open conversations, expected {}", scale);
    }
    let marker = Marker { scale, conversations, messages: scale, token: desk.token, build_seconds };
    std::fs::write(&marker_path, serde_json::to_string_pretty(&marker)?)?;
    Ok(DataSet { dir, marker, built_now: true })
}

/// Writes what `receive_inbound` writes for a first message from a new customer: the
/// contact with its identity, a new open conversation, the message, their search
/// documents, the list counters and the three events. The lookups that find nothing for a
/// new customer are left out and the list counters are bumped once per batch (the caller
/// adds up the keys returned), so a large data set builds in minutes; the ingest figures
/// measure the use case itself.
async fn write_new_conversation(tx: &mut store::Tx, desk: &Desk, i: usize, now: Millis) -> Result<Vec<String>> {
    use domain::{
        Author, Contact, ContactId, Conversation, Direction, EventKind, Message, MessageId, MessageKind, NewEvent,
    };
    use serde_json::json;
    let ws = desk.ws;
    let (subject, text) = message(i as u64 ^ 0x5eed);
    let from = Identity::parse(IdentityKind::Email, &email(i))?;
    let contact_body = format!("{} {}", name(i), from.value);
    let contact = Contact {
        id: ContactId::new(),
        workspace_id: ws,
        name: Some(name(i)),
        company: None,
        attributes: Default::default(),
        identities: vec![from],
        created_at: now,
        updated_at: now,
    };
    tx.insert_contact(&contact).await?;
    tx.index_document(ws, store::SearchKind::Contact, contact.id.0, None, &contact_body).await?;
    let number = tx.next_conversation_number(ws).await?;
    let mut conversation = Conversation::open(ws, number, desk.inbox, contact.id, Some(subject.clone()), now);
    conversation.on_inbound(now, &text);
    tx.insert_conversation(&conversation).await?;
    tx.index_document(ws, store::SearchKind::Conversation, conversation.id.0, Some(conversation.id), &subject).await?;
    let message = Message {
        id: MessageId::new(),
        workspace_id: ws,
        conversation_id: conversation.id,
        inbox_id: desk.inbox,
        direction: Direction::Inbound,
        kind: MessageKind::Message,
        author: Author::Contact(contact.id),
        text,
        html: None,
        attachments: vec![],
        provider_message_id: Some(format!("ds-{i}")),
        delivery_status: None,
        delivery_error: None,
        meta: Default::default(),
        created_at: now,
    };
    tx.insert_message(&message).await?;
    tx.index_document(ws, store::SearchKind::Message, message.id.0, Some(conversation.id), &message.text).await?;
    let events = [
        NewEvent {
            kind: EventKind::ContactCreated,
            conversation_id: None,
            user_id: None,
            data: json!({ "contact_id": contact.id }),
        },
        NewEvent {
            kind: EventKind::ConversationCreated,
            conversation_id: Some(conversation.id),
            user_id: None,
            data: json!({ "conversation_id": conversation.id, "number": conversation.number, "status": conversation.status, "assignee_id": null }),
        },
        NewEvent {
            kind: EventKind::MessageCreated,
            conversation_id: Some(conversation.id),
            user_id: None,
            data: json!({ "message_id": message.id, "kind": message.kind, "direction": message.direction }),
        },
    ];
    tx.append_events(ws, &events, now).await?;
    Ok(conversation.counter_keys())
}
