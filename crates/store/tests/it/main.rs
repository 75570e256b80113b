//! Store-level properties that use cases rely on, on SQLite and (with
//! `CHORUS_TEST_PG_URL`) PostgreSQL: exclusive job claims, a gap-free event log, the batch
//! look-ups and held writes of inbound batches, and the access version.

extern crate chorus_store as store;

use domain::event::NewEvent;
use domain::{
    Author, Contact, ContactId, Conversation, EventKind, Identity, IdentityKind, InboxId, Job, JobId, JobStatus,
    Message, MessageKind, Status, WorkspaceId,
};
use std::collections::HashSet;
use store::testing::fresh;

fn workspace() -> domain::Workspace {
    domain::Workspace { id: WorkspaceId::new(), name: "W".into(), created_at: 0 }
}

#[tokio::test]
async fn concurrent_claims_never_hand_out_a_job_twice() {
    let db = fresh().await.unwrap();
    let ws = workspace();
    let mut tx = db.store.write().await.unwrap();
    tx.insert_workspace(&ws).await.unwrap();
    for _ in 0..60 {
        let job = Job {
            id: JobId::new(),
            workspace_id: ws.id,
            kind: "deliver".into(),
            payload: serde_json::json!({}),
            status: JobStatus::Queued,
            run_at: 0,
            attempts: 0,
            max_attempts: 3,
            last_error: None,
        };
        tx.enqueue_job(&job, 0).await.unwrap();
    }
    tx.commit().await.unwrap();

    let claimers = (0..4).map(|_| {
        let store = db.store.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let mut tx = store.write().await.unwrap();
                let jobs = tx.claim_jobs(10, 60_000, 5).await.unwrap();
                tx.commit().await.unwrap();
                if jobs.is_empty() {
                    return mine;
                }
                mine.extend(jobs.into_iter().map(|j| {
                    assert_eq!(j.attempts, 1);
                    j.id
                }));
            }
        })
    });
    let mut all = Vec::new();
    for c in claimers {
        all.extend(c.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!((all.len(), unique.len()), (60, 60), "every job claimed exactly once");

    // A lease that runs out makes the job claimable again.
    let mut tx = db.store.write().await.unwrap();
    let again = tx.claim_jobs(70_000, 130_000, 100).await.unwrap();
    assert_eq!(again.len(), 60);
    assert!(again.iter().all(|j| j.attempts == 2));
}

#[tokio::test]
async fn a_reader_following_the_log_misses_nothing_under_concurrent_writers() {
    let db = fresh().await.unwrap();
    let ws = workspace();
    let mut tx = db.store.write().await.unwrap();
    tx.insert_workspace(&ws).await.unwrap();
    tx.commit().await.unwrap();

    let writers: Vec<_> = (0..6)
        .map(|w| {
            let store = db.store.clone();
            tokio::spawn(async move {
                for i in 0..25 {
                    let mut tx = store.write().await.unwrap();
                    let e = NewEvent {
                        kind: EventKind::ContactUpdated,
                        conversation_id: None,
                        user_id: None,
                        data: serde_json::json!({"w": w, "i": i}),
                    };
                    tx.append_events(ws.id, &[e], 0).await.unwrap();
                    tx.commit().await.unwrap();
                }
            })
        })
        .collect();

    let mut seen = Vec::new();
    let mut last = 0;
    while seen.len() < 150 {
        let mut tx = db.store.read().await.unwrap();
        for e in tx.events_after(Some(ws.id), last, 1000).await.unwrap() {
            assert!(e.seq > last);
            last = e.seq;
            seen.push((e.data["w"].as_i64().unwrap(), e.data["i"].as_i64().unwrap()));
        }
        drop(tx);
        tokio::task::yield_now().await;
    }
    for w in writers {
        w.await.unwrap();
    }
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 150, "a reader that only asks for seq > last saw every event");
    let mut tx = db.store.read().await.unwrap();
    assert!(tx.events_after(Some(ws.id), last, 10).await.unwrap().is_empty());
}

/// Every query word matches as a prefix, on both dialects and whether the documents were
/// written at once or deferred to the commit; on SQLite a prefix is expanded to the indexed
/// words it starts (folded like the tokenizer: lower case, no diacritics).
#[tokio::test]
async fn search_words_match_as_prefixes_written_at_once_or_deferred() {
    use store::SearchKind;
    let db = fresh().await.unwrap();
    let ws = workspace();
    let other = workspace();
    let mut tx = db.store.write().await.unwrap();
    tx.insert_workspace(&ws).await.unwrap();
    tx.insert_workspace(&other).await.unwrap();
    let docs = [
        "The refund was Refunded twice",
        "Where are my refunds?",
        "Un Café crème, s'il vous plaît",
        "order 4471 never arrived",
    ];
    for body in &docs[..2] {
        tx.index_document(ws.id, SearchKind::Message, uuid::Uuid::now_v7(), None, body).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut tx = db.store.write().await.unwrap();
    tx.defer_writes();
    for body in &docs[2..] {
        tx.index_document(ws.id, SearchKind::Message, uuid::Uuid::now_v7(), None, body).await.unwrap();
    }
    tx.index_document(other.id, SearchKind::Message, uuid::Uuid::now_v7(), None, "refund elsewhere").await.unwrap();
    // Many words sharing a prefix: more than a prefix is expanded to.
    let many: Vec<String> = (0..80).map(|i| format!("zeta{i:02}")).collect();
    tx.index_document(ws.id, SearchKind::Message, uuid::Uuid::now_v7(), None, &many.join(" ")).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = db.store.read().await.unwrap();
    let count = |hits: Vec<store::SearchHit>| hits.len();
    assert_eq!(count(tx.search(ws.id, "refu", 10).await.unwrap()), 2, "refund, refunded, refunds");
    assert_eq!(count(tx.search(ws.id, "REFUNDS", 10).await.unwrap()), 1);
    assert_eq!(count(tx.search(other.id, "refu", 10).await.unwrap()), 1, "scoped to the workspace");
    if db.store.dialect() == store::Dialect::Sqlite {
        // PostgreSQL's `simple` configuration keeps diacritics.
        assert_eq!(count(tx.search(ws.id, "cafe", 10).await.unwrap()), 1, "diacritics folded");
    }
    assert_eq!(count(tx.search(ws.id, "café crè", 10).await.unwrap()), 1);
    assert_eq!(count(tx.search(ws.id, "447", 10).await.unwrap()), 1);
    assert_eq!(count(tx.search(ws.id, "order refund", 10).await.unwrap()), 0, "every word must match");
    assert_eq!(count(tx.search(ws.id, "nothing", 10).await.unwrap()), 0);
    assert_eq!(count(tx.search(ws.id, "zeta", 10).await.unwrap()), 1, "a prefix of many words still matches");
    let hit = tx.search(ws.id, "refunded", 10).await.unwrap();
    assert!(hit[0].snippet.contains("<mark>Refunded</mark>"), "{:?}", hit[0].snippet);
}

/// The write connection remembers which words `search_terms` holds and writes only new
/// ones; the words of a transaction, or of a savepoint, that rolled back are not taken as
/// written, so the next document with them writes them and their prefixes find it.
#[tokio::test]
async fn words_of_a_rolled_back_write_are_written_by_the_next() {
    use store::SearchKind;
    let db = fresh().await.unwrap();
    let ws = workspace();
    let mut tx = db.store.write().await.unwrap();
    tx.insert_workspace(&ws).await.unwrap();
    tx.commit().await.unwrap();
    async fn doc(tx: &mut store::Tx, ws: domain::WorkspaceId, body: &str) {
        tx.index_document(ws, SearchKind::Message, uuid::Uuid::now_v7(), None, body).await.unwrap();
    }
    let mut tx = db.store.write().await.unwrap();
    doc(&mut tx, ws.id, "quixotic").await;
    tx.rollback().await.unwrap();
    let mut tx = db.store.write().await.unwrap();
    tx.savepoint().await.unwrap();
    doc(&mut tx, ws.id, "zephyrous").await;
    tx.rollback_to_savepoint().await.unwrap();
    doc(&mut tx, ws.id, "plain words").await;
    tx.commit().await.unwrap();
    for deferred in [false, true] {
        let mut tx = db.store.write().await.unwrap();
        if deferred {
            tx.defer_writes();
        }
        doc(&mut tx, ws.id, "quixotic zephyrous plain").await;
        tx.commit().await.unwrap();
    }
    let mut tx = db.store.read().await.unwrap();
    assert_eq!(tx.search(ws.id, "quixo", 10).await.unwrap().len(), 2);
    assert_eq!(tx.search(ws.id, "zephyro", 10).await.unwrap().len(), 2);
    assert_eq!(tx.search(ws.id, "pla", 10).await.unwrap().len(), 3, "a known word still finds new documents");
}

/// An inbound batch asks the questions about a workspace's set-up in one statement; the
/// answers are the ones asked one by one would give, per workspace, and outside a
/// deferring transaction nothing is remembered.
#[tokio::test]
async fn a_workspaces_setup_is_learnt_in_one_statement() {
    let db = fresh().await.unwrap();
    let (plain, busy) = (workspace(), workspace());
    let mut tx = db.store.write().await.unwrap();
    tx.insert_workspace(&plain).await.unwrap();
    tx.insert_workspace(&busy).await.unwrap();
    let inbox = InboxId::new();
    tx.set_routing_policy(busy.id, domain::QueueScope::Inbox(inbox), domain::AssignmentPolicy::RoundRobin)
        .await
        .unwrap();
    tx.record_sunset_write(busy.id, inbox, ContactId::new(), 1).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.store.write().await.unwrap();
    tx.defer_writes();
    for ws in [plain.id, busy.id] {
        tx.learn_workspace_setup(ws).await.unwrap();
    }
    assert!(!tx.auto_assigns(plain.id).await.unwrap());
    assert!(tx.auto_assigns(busy.id).await.unwrap());
    assert!(!tx.has_enabled_rules(busy.id).await.unwrap());
    // The remembered answer for `plain` says nobody is left to move: nothing is updated.
    let moved = tx.move_from_sunset(plain.id, ContactId::new(), inbox, 2).await.unwrap();
    assert_eq!(moved, 0);
    tx.rollback().await.unwrap();
}

/// A batch that learnt a workspace's set-up hands out conversation numbers from the
/// sequence it read with it and writes the sequence once, at its end; one that did not
/// takes a block and gives back what it did not use. Either way numbering goes on without
/// gaps, and a batch rolled back takes none.
#[tokio::test]
async fn deferring_batches_number_conversations_without_gaps() {
    let db = fresh().await.unwrap();
    let ws = workspace();
    let mut tx = db.store.write().await.unwrap();
    tx.insert_workspace(&ws).await.unwrap();
    let first = tx.next_conversation_number(ws.id).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = db.store.write().await.unwrap();
    tx.defer_writes();
    tx.learn_workspace_setup(ws.id).await.unwrap();
    let mut taken = Vec::new();
    for _ in 0..3 {
        taken.push(tx.next_conversation_number(ws.id).await.unwrap());
    }
    assert_eq!(taken, vec![first + 1, first + 2, first + 3], "learnt with the set-up");
    tx.commit().await.unwrap();

    let mut tx = db.store.write().await.unwrap();
    tx.defer_writes();
    tx.learn_workspace_setup(ws.id).await.unwrap();
    assert_eq!(tx.next_conversation_number(ws.id).await.unwrap(), first + 4);
    tx.rollback().await.unwrap();

    let mut tx = db.store.write().await.unwrap();
    tx.defer_writes();
    assert_eq!(tx.next_conversation_number(ws.id).await.unwrap(), first + 4, "from a block");
    tx.commit().await.unwrap();
    let mut tx = db.store.write().await.unwrap();
    assert_eq!(tx.next_conversation_number(ws.id).await.unwrap(), first + 5, "the rest of the block went back");
    tx.commit().await.unwrap();
}

/// Reads outside a transaction see each commit as soon as it lands.
#[tokio::test]
async fn reads_without_a_transaction_see_the_latest_commit() {
    let db = fresh().await.unwrap();
    let ws = workspace();
    let mut reader = db.store.query().await.unwrap();
    assert!(reader.get_workspace(ws.id).await.unwrap().is_none());
    let mut tx = db.store.write().await.unwrap();
    tx.insert_workspace(&ws).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(reader.get_workspace(ws.id).await.unwrap().map(|w| w.name), Some("W".to_string()));
    reader.commit().await.unwrap();
}

/// The inbound batch asks once which of its senders and provider ids exist already.
#[tokio::test]
async fn taken_identities_and_provider_ids_are_found_in_one_look_up() {
    let db = fresh().await.unwrap();
    let ws = workspace();
    let mut tx = db.store.write().await.unwrap();
    tx.insert_workspace(&ws).await.unwrap();
    let ana = Identity::parse(IdentityKind::Email, "ana@example.com").unwrap();
    let phone = Identity::parse(IdentityKind::Phone, "+3725550100").unwrap();
    let bo = Identity::parse(IdentityKind::Email, "bo@example.com").unwrap();
    let contact = Contact {
        id: ContactId::new(),
        workspace_id: ws.id,
        name: None,
        company: None,
        attributes: Default::default(),
        identities: vec![ana.clone(), phone.clone()],
        created_at: 0,
        updated_at: 0,
    };
    tx.insert_contact(&contact).await.unwrap();
    let inbox = InboxId::new();
    let c = Conversation::open(ws.id, 1, inbox, contact.id, None, 0);
    let mut m = Message::from_team(&c, MessageKind::Message, Author::Contact(contact.id), "hi".into(), 0);
    m.provider_message_id = Some("p-1".into());
    tx.insert_message(&m).await.unwrap();
    // Provider ids are looked up as one bound list: quotes and other scripts stay themselves.
    let odd = r#"<"ü-1"\x@mail.example>"#;
    let mut m = Message::from_team(&c, MessageKind::Message, Author::Contact(contact.id), "again".into(), 1);
    m.provider_message_id = Some(odd.into());
    tx.insert_message(&m).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = db.store.read().await.unwrap();
    let found = tx.contacts_by_identities(ws.id, &[bo.clone(), phone.clone(), ana.clone()]).await.unwrap();
    let mut taken: Vec<_> = found.iter().map(|(i, _)| i.clone()).collect();
    taken.sort_by(|a, b| a.value.cmp(&b.value));
    assert_eq!(taken, vec![phone.clone(), ana.clone()]);
    assert!(found.iter().all(|(_, c)| c.id == contact.id && c.identities.len() == 2), "each with its contact");
    // Read with its identities in one statement, a contact is the one read alone.
    let alone = tx.get_contact(ws.id, contact.id).await.unwrap().unwrap();
    assert!(found.iter().all(|(_, c)| format!("{c:?}") == format!("{alone:?}")), "{found:?} against {alone:?}");
    assert_eq!(alone.identities, vec![ana.clone(), phone.clone()], "oldest first, then by kind");
    assert!(tx.contacts_by_identities(workspace().id, &[bo, ana]).await.unwrap().is_empty(), "per workspace");
    assert_eq!(tx.provider_ids_taken(ws.id, inbox, &["p-0", "p-1"]).await.unwrap(), vec!["p-1".to_string()]);
    assert_eq!(tx.provider_ids_taken(ws.id, inbox, &[odd, "<\"ü-1\">"]).await.unwrap(), vec![odd.to_string()]);
    assert!(tx.provider_ids_taken(ws.id, inbox, &[]).await.unwrap().is_empty(), "an empty list");
    assert!(tx.provider_ids_taken(ws.id, InboxId::new(), &["p-1"]).await.unwrap().is_empty(), "per inbox");
}

/// A deferring transaction holds new contacts, conversations and messages back and writes
/// them in multi-row statements, but every later statement of the transaction sees them.
#[tokio::test]
async fn held_rows_are_seen_by_every_later_statement_and_kept_at_commit() {
    let db = fresh().await.unwrap();
    let ws = workspace();
    let mut tx = db.store.write().await.unwrap();
    tx.insert_workspace(&ws).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = db.store.write().await.unwrap();
    tx.defer_writes();
    let inbox = InboxId::new();
    let mut contacts = Vec::new();
    let mut conversations = Vec::new();
    for n in 1..=3 {
        let identity = Identity::parse(IdentityKind::Email, &format!("c{n}@example.com")).unwrap();
        let contact = Contact {
            id: ContactId::new(),
            workspace_id: ws.id,
            name: Some(format!("C{n}")),
            company: None,
            attributes: Default::default(),
            identities: vec![identity],
            created_at: n,
            updated_at: n,
        };
        tx.insert_contact(&contact).await.unwrap();
        let c = Conversation::open(ws.id, n, inbox, contact.id, None, n);
        tx.insert_conversation(&c).await.unwrap();
        let mut m = Message::from_team(&c, MessageKind::Message, Author::Contact(contact.id), "hi".into(), n);
        m.provider_message_id = Some(format!("p-{n}"));
        tx.insert_message(&m).await.unwrap();
        contacts.push(contact);
        conversations.push(c);
    }
    // A held conversation changed again is written once, as it stands last.
    let mut changed = conversations[0].clone();
    changed.set_status(Status::Pending, None, 10).unwrap();
    tx.update_conversation(&conversations[0], &changed).await.unwrap();
    let found = tx.contact_by_identity(ws.id, &contacts[1].identities[0]).await.unwrap();
    assert_eq!(found.map(|c| c.id), Some(contacts[1].id), "a read in the transaction sees held contacts");
    assert_eq!(tx.get_conversation(ws.id, changed.id).await.unwrap().map(|c| c.status), Some(Status::Pending));
    // What is held after that read is written at the commit.
    let mut late = Message::from_team(
        &conversations[2],
        MessageKind::Message,
        Author::Contact(contacts[2].id),
        "again".into(),
        11,
    );
    late.provider_message_id = Some("p-late".into());
    tx.insert_message(&late).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = db.store.read().await.unwrap();
    assert_eq!(tx.message_by_provider_id(ws.id, inbox, "p-late").await.unwrap().map(|m| m.id), Some(late.id));
    let threads = tx.threads_for(ws.id, &[contacts[0].id, contacts[2].id], inbox, i64::MAX).await.unwrap();
    let mut ids: Vec<_> = threads.iter().map(|c| c.id).collect();
    ids.sort();
    let mut want = vec![conversations[0].id, conversations[2].id];
    want.sort();
    assert_eq!(ids, want, "one thread per contact asked about");
}

/// A provider message id stored twice fails the held write (SQLite) with the same conflict
/// as an immediate insert, so the inbound batch can fall back to one message at a time.
#[tokio::test]
async fn a_held_duplicate_provider_id_is_a_conflict() {
    let db = fresh().await.unwrap();
    let ws = workspace();
    let contact = ContactId::new();
    let c = Conversation::open(ws.id, 1, InboxId::new(), contact, None, 0);
    let mut tx = db.store.write().await.unwrap();
    tx.insert_workspace(&ws).await.unwrap();
    let mut m = Message::from_team(&c, MessageKind::Message, Author::Contact(contact), "hi".into(), 0);
    m.provider_message_id = Some("p-1".into());
    tx.insert_message(&m).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = db.store.write().await.unwrap();
    tx.defer_writes();
    let mut again = Message::from_team(&c, MessageKind::Message, Author::Contact(contact), "hi".into(), 1);
    again.provider_message_id = Some("p-1".into());
    // Held on SQLite (the conflict comes at the commit); PostgreSQL does not defer.
    let err = match tx.insert_message(&again).await {
        Ok(()) => tx.commit().await.unwrap_err(),
        Err(e) => e,
    };
    assert!(matches!(err, store::StoreError::Conflict { field: "provider_message_id" }), "{err:?}");
}

/// The access version moves only when a change of access commits, and only on SQLite.
#[tokio::test]
async fn the_access_version_moves_when_access_changes_commit() {
    let db = fresh().await.unwrap();
    let Some(before) = db.store.access_version() else {
        assert_eq!(db.store.dialect(), store::Dialect::Postgres, "only PostgreSQL has no version");
        return;
    };
    let ws = workspace();
    let mut tx = db.store.write().await.unwrap();
    tx.insert_workspace(&ws).await.unwrap();
    tx.delete_session("no such session").await.unwrap();
    assert_eq!(db.store.access_version(), Some(before), "not before the commit");
    tx.commit().await.unwrap();
    assert_eq!(db.store.access_version(), Some(before + 1));
    let mut tx = db.store.write().await.unwrap();
    tx.delete_session("no such session").await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(db.store.access_version(), Some(before + 1), "a rolled-back change changes nothing");
}

/// Regression: an inbound batch's look-ups of its senders' threads and identities walked
/// the inbox's whole conversation index and the workspace's whole identity index on
/// SQLite, so each batch read every conversation and identity of the workspace. Each must
/// seek its rows through the contact's own index and the identity key.
#[tokio::test]
async fn inbound_batch_look_ups_seek_their_rows_on_sqlite() {
    let db = fresh().await.unwrap();
    let Some(plans) = store::testing::inbound_lookup_plans(&db.store).await.unwrap() else { return };
    for (name, plan) in &plans {
        assert!(!plan.contains("SCAN conversations") && !plan.contains("SCAN contact_identities"), "{name}: {plan}");
        match *name {
            "threads_for" => {
                let seeks = plan.matches("SEARCH conversations USING INDEX conversations_contact (workspace_id=? AND contact_id=?)");
                assert_eq!(seeks.count(), 1, "{name}: {plan}");
                assert!(plan.contains("SEARCH conversations USING INTEGER PRIMARY KEY (rowid=?)"), "{name}: {plan}");
            }
            "contacts_by_identities" => assert!(
                plan.contains("SEARCH contact_identities USING INDEX sqlite_autoindex_contact_identities_1 (workspace_id=? AND kind=? AND value=?)"),
                "{name}: {plan}"
            ),
            other => panic!("a plan nobody checks: {other}"),
        }
    }
    assert_eq!(plans.len(), 2);
}

/// A write transaction dropped without a commit is undone, and the next one starts as if
/// it had never been (on SQLite every writer shares one connection, so what the dropped
/// one left open must be ended before the next begins).
#[tokio::test]
async fn a_dropped_write_is_undone_and_the_next_write_goes_through() {
    let db = fresh().await.unwrap();
    let lost = workspace();
    let mut tx = db.store.write().await.unwrap();
    tx.insert_workspace(&lost).await.unwrap();
    drop(tx);
    let kept = workspace();
    let mut tx = db.store.write().await.unwrap();
    tx.insert_workspace(&kept).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.store.read().await.unwrap();
    assert!(tx.get_workspace(lost.id).await.unwrap().is_none());
    assert!(tx.get_workspace(kept.id).await.unwrap().is_some());
}

#[tokio::test]
async fn the_wal_is_checkpointed_beside_the_writer_and_starts_again() {
    let db = fresh().await.unwrap();
    // Five times the WAL's restart size, in transactions of 64 pages.
    const CHUNK: usize = 64 * 4096;
    let total = 5 * store::testing::WAL_RESTART_FRAMES as usize * 4096;
    for _ in 0..total / CHUNK {
        if !store::testing::write_filler(&db.store, CHUNK).await.unwrap() {
            return; // PostgreSQL has no WAL file of ours to watch.
        }
    }
    let file = std::path::PathBuf::from(db.store.url());
    let wal = std::fs::metadata(format!("{}-wal", file.display())).unwrap().len() as usize;
    let main = std::fs::metadata(&file).unwrap().len() as usize;
    // The write connection never checkpoints: what reached the database file was copied by
    // the background checkpoints, and the WAL started again instead of holding it all. It
    // may hold a restart's worth plus what was written while a checkpoint ran: well under
    // three restarts' worth, where all five would be without checkpoints.
    let restart = store::testing::WAL_RESTART_FRAMES as usize;
    assert!(main >= total - 3 * restart * 4096, "the database file holds {main} bytes of the {total} written");
    let bound = 3 * restart * (4096 + 24);
    assert!(wal <= bound, "the WAL grew to {wal} bytes (at most {bound} expected)");
}

/// A checkpoint asked for by a commit waits for the next write to begin, but not forever:
/// the last commit before the writer falls idle reaches the database file too.
#[tokio::test]
async fn an_idle_writers_last_commit_is_checkpointed() {
    let db = fresh().await.unwrap();
    const FILLER: usize = 256 * 1024;
    let file = std::path::PathBuf::from(db.store.url());
    let size = || std::fs::metadata(&file).map_or(0, |m| m.len() as usize);
    // Let the migrations' last checkpoint finish first.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let before = size();
    if !store::testing::write_filler(&db.store, FILLER).await.unwrap() {
        return; // PostgreSQL has no WAL file of ours to watch.
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let grown = size() - before;
        if grown >= FILLER {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "after 5 s the database file grew by {grown} bytes, not {FILLER}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// With `Durability::Full` a commit syncs the WAL after letting the write connection go: the
/// next transaction may begin before the sync, but no commit returns before one that
/// covers it, and commits made together share syncs.
#[tokio::test]
async fn a_durable_commit_returns_once_a_wal_sync_covers_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("durable.db");
    let db = store::Store::open(&path.to_string_lossy(), store::Durability::Full).await.unwrap();
    assert!(store::testing::write_filler(&db, 1024).await.unwrap());
    assert_eq!(store::testing::wal_commits(&db).await, Some((1, 1)), "the first commit returned before its sync");

    // The connection is free before the sync: a second transaction begins meanwhile.
    let mut tx = db.write().await.unwrap();
    tx.savepoint().await.unwrap();
    let first = tx.commit_unsynced().await.unwrap();
    let tx = db.write().await.unwrap();
    let second = tx.commit_unsynced().await.unwrap();
    second.synced().await.unwrap();
    first.synced().await.unwrap();
    assert_eq!(store::testing::wal_commits(&db).await, Some((3, 3)));

    // Concurrent commits: each returns covered, and every one is on disk at the end.
    let writers: Vec<_> = (0..16)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { store::testing::write_filler(&db, 1024).await.unwrap() })
        })
        .collect();
    for w in writers {
        assert!(w.await.unwrap());
    }
    assert_eq!(store::testing::wal_commits(&db).await, Some((19, 19)));
    // A store opened with `Durability::Normal` promises no sync of its own.
    let normal =
        store::Store::open(&dir.path().join("normal.db").to_string_lossy(), store::Durability::Normal).await.unwrap();
    assert_eq!(store::testing::wal_commits(&normal).await, None);
}

/// A list filtered by an assignee or a team reads its own index (which leaves out the
/// conversations without one), the unassigned queue and the open list read the status
/// index, and none of them sorts: the first page stays a few dozen rows at any size.
#[tokio::test]
async fn conversation_lists_read_an_index_in_order_on_sqlite() {
    use domain::{AssigneeFilter, ConversationFilter, TeamId, UserId};
    let db = fresh().await.unwrap();
    let open = |assignee, team_id| ConversationFilter {
        status: Some(Status::Open),
        assignee,
        team_id,
        ..ConversationFilter::default()
    };
    let cases = [
        ("mine", open(AssigneeFilter::User(UserId(uuid::Uuid::nil())), None), "conversations_assignee"),
        ("a team's", open(AssigneeFilter::Anyone, Some(TeamId(uuid::Uuid::nil()))), "conversations_team"),
        ("unassigned", open(AssigneeFilter::Nobody, None), "conversations_status"),
        ("open", open(AssigneeFilter::Anyone, None), "conversations_status"),
    ];
    for (name, filter, index) in cases {
        let Some(plan) = store::testing::list_plan(&db.store, &filter).await.unwrap() else { return };
        assert!(plan.contains(&format!("USING INDEX {index} ")), "{name}: {plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{name} sorts: {plan}");
    }
}
