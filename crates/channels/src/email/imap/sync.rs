//! One pass over a mailbox: every message after the saved position, in UID order, is
//! fetched (without setting `\Seen` by the fetch itself), stored, then marked or moved, and
//! the position saved. A message is stored before it is marked, and the position saved
//! after: a crash in between reads the message again, and `app` finds it by Message-ID.

use super::PollError;
use super::connect::{Capabilities, Stream, within};
use app::App;
use async_imap::Session;
use domain::Inbox;
use domain::inbox::ImapSettings;
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};

/// Where the poller stopped in a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Position {
    uidvalidity: u32,
    last_uid: u32,
}

/// Stores every message not yet stored; returns how many were new.
pub async fn sync(
    app: &App,
    inbox: &Inbox,
    settings: &ImapSettings,
    capabilities: &Capabilities,
    session: &mut Session<Stream>,
) -> Result<usize, PollError> {
    let mailbox = within("SELECT", session.select(&settings.folder)).await?;
    let uidvalidity = mailbox.uid_validity.unwrap_or(0);
    let saved = app.channel_state(inbox).await?.and_then(|v| serde_json::from_value::<Position>(v).ok());
    let mut last_uid = match saved {
        Some(p) if p.uidvalidity == uidvalidity => p.last_uid,
        Some(p) => {
            tracing::warn!(
                inbox = %inbox.id, before = p.uidvalidity, now = uidvalidity,
                "imap: the mailbox was renumbered (UIDVALIDITY changed); reading it again"
            );
            0
        }
        None => 0,
    };
    if mailbox.exists == 0 || mailbox.uid_next.is_some_and(|next| next <= last_uid.saturating_add(1)) {
        return Ok(0);
    }
    let uids = new_uids(session, last_uid).await?;
    // A mail larger than the largest file Chorus keeps is not read whole (it could be
    // gigabytes): its header is stored, with the reason, and the mail is left unread in the
    // mailbox for someone to open there.
    let cap = app.config().attachment_max_bytes;
    let mut stored = 0;
    for (uid, size) in uids {
        let oversize = size.filter(|&s| u64::from(s) > cap);
        let raw = match oversize {
            Some(_) => fetch(session, uid, Part::Header).await?,
            None => fetch(session, uid, Part::Whole).await?,
        };
        if let Some(raw) = raw {
            let mut mail = crate::email::smtp::parse_guarded(raw).await.ok_or_else(|| {
                PollError::App(app::Error::Internal("the mail could not be parsed: shutting down".into()))
            })?;
            if let Some(size) = oversize {
                mail.problems.push(format!(
                    "the mail is {:.1} MB, more than the {:.1} MB Chorus keeps: only its header was read, and it was \
                     left unread in the mailbox",
                    f64::from(size) / 1_048_576.0,
                    cap as f64 / 1_048_576.0
                ));
            }
            let outcome = app.receive_email(inbox, mail).await?;
            if !outcome.duplicate {
                stored += 1;
            }
        }
        if oversize.is_none() {
            mark(session, settings, capabilities, uid).await?;
        }
        last_uid = uid;
        let position = Position { uidvalidity, last_uid };
        app.set_channel_state(inbox, serde_json::to_value(position).unwrap_or_default()).await?;
    }
    Ok(stored)
}

/// The UIDs after `last_uid` with their sizes, ascending. (`n:*` always matches the last
/// message, even when its UID is below `n`, so the answer is filtered.)
async fn new_uids(session: &mut Session<Stream>, last_uid: u32) -> Result<Vec<(u32, Option<u32>)>, PollError> {
    let from = last_uid.saturating_add(1);
    let fetches: Vec<_> = within("UID FETCH", async {
        session.uid_fetch(format!("{from}:*"), "(UID RFC822.SIZE)").await?.try_collect().await
    })
    .await?;
    let mut uids: Vec<(u32, Option<u32>)> =
        fetches.iter().filter_map(|f| f.uid.map(|u| (u, f.size))).filter(|&(u, _)| u > last_uid).collect();
    uids.sort_unstable();
    uids.dedup_by_key(|(u, _)| *u);
    Ok(uids)
}

/// What to fetch of a message.
#[derive(Clone, Copy)]
enum Part {
    /// All of it.
    Whole,
    /// Its header only.
    Header,
}

/// One message's bytes, or None when it vanished meanwhile. `BODY.PEEK` leaves `\Seen`
/// alone: marking is a step of its own, after the mail is stored.
async fn fetch(session: &mut Session<Stream>, uid: u32, part: Part) -> Result<Option<Vec<u8>>, PollError> {
    let item = match part {
        Part::Whole => "(UID BODY.PEEK[])",
        Part::Header => "(UID BODY.PEEK[HEADER])",
    };
    let fetches: Vec<_> =
        within("UID FETCH", async { session.uid_fetch(uid.to_string(), item).await?.try_collect().await }).await?;
    let found = fetches.iter().find(|f| f.uid == Some(uid));
    let bytes = match part {
        Part::Whole => found.and_then(|f| f.body()),
        Part::Header => found.and_then(|f| f.header()),
    };
    Ok(bytes.map(<[u8]>::to_vec))
}

/// Marks a processed message read, or moves it out of the folder when the settings say so.
async fn mark(
    session: &mut Session<Stream>,
    settings: &ImapSettings,
    capabilities: &Capabilities,
    uid: u32,
) -> Result<(), PollError> {
    let uid_set = uid.to_string();
    let Some(target) = settings.move_to.as_deref() else {
        return store_flag(session, &uid_set, "+FLAGS.SILENT (\\Seen)").await;
    };
    if capabilities.moves {
        return within("UID MOVE", session.uid_mv(&uid_set, target)).await;
    }
    // Without MOVE (RFC 6851): copy, flag the original deleted, and expunge it — only it
    // when UIDPLUS allows, else everything flagged deleted in the folder.
    within("UID COPY", session.uid_copy(&uid_set, target)).await?;
    store_flag(session, &uid_set, "+FLAGS.SILENT (\\Seen \\Deleted)").await?;
    if capabilities.uidplus {
        within("UID EXPUNGE", async { session.uid_expunge(&uid_set).await?.try_collect::<Vec<_>>().await }).await?;
    } else {
        within("EXPUNGE", async { session.expunge().await?.try_collect::<Vec<_>>().await }).await?;
    }
    Ok(())
}

async fn store_flag(session: &mut Session<Stream>, uid_set: &str, change: &str) -> Result<(), PollError> {
    within("UID STORE", async { session.uid_store(uid_set, change).await?.try_collect::<Vec<_>>().await }).await?;
    Ok(())
}
