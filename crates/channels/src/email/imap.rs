//! The IMAP poller: reads new mail from the mailbox an e-mail inbox names, hands each
//! message to the codec and `app`, then marks it read (`\Seen`) or moves it to the folder
//! the settings name. One task per inbox; it waits with IDLE where the server offers it and
//! polls on an interval where it does not, and reconnects with backoff after any error.
//!
//! Where it stopped is saved per inbox as `{"uidvalidity": u32, "last_uid": u32}` after
//! every message, so a restart continues after the last stored message. When the
//! mailbox's UIDVALIDITY changes (the server renumbered it) every message is read again,
//! and `app`'s idempotency on Message-ID keeps the ones already stored from counting twice.
//!
//! Nothing here decides what a mail means; nothing a server sends crashes the poller.

mod connect;
mod sync;

use app::App;
use domain::{Inbox, InboxId};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub use connect::client_tls;

/// Why polling a mailbox failed. Never carries the password.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// The inbox has no IMAP settings.
    #[error("the inbox has no IMAP mailbox configured")]
    NotConfigured,
    /// The server could not be reached.
    #[error("connecting to {server}: {source}")]
    Connect {
        /// `host:port`.
        server: String,
        /// What the network said.
        source: std::io::Error,
    },
    /// TLS could not be set up.
    #[error("TLS: {0}")]
    Tls(String),
    /// The server refused the login.
    #[error("logging in as {user}: {message}")]
    Login {
        /// The login name.
        user: String,
        /// The server's answer.
        message: String,
    },
    /// The server did not answer in time.
    #[error("the server did not answer within {0:?} ({1})")]
    Timeout(Duration, &'static str),
    /// The server answered something unexpected, or the connection broke.
    #[error("IMAP: {0}")]
    Imap(#[from] async_imap::error::Error),
    /// The mail could not be stored.
    #[error("storing the mail: {0}")]
    App(#[from] app::Error),
}

/// Reads the inbox's mailbox once: every message not yet stored is stored and marked (or
/// moved). Returns how many new messages were stored. Uses the platform's trusted roots.
pub async fn poll_once(app: &App, inbox: &Inbox) -> Result<usize, PollError> {
    let tls = client_tls()?;
    poll_once_with(app, inbox, &tls).await
}

/// [`poll_once`] trusting the certificates `tls` trusts.
pub async fn poll_once_with(app: &App, inbox: &Inbox, tls: &Arc<rustls::ClientConfig>) -> Result<usize, PollError> {
    let settings = connect::settings(inbox)?;
    let mut session = connect::open(settings, tls).await?;
    let capabilities = connect::capabilities(&mut session).await?;
    let stored = sync::sync(app, inbox, settings, &capabilities, &mut session).await?;
    connect::close(session).await;
    Ok(stored)
}

/// Keeps every IMAP inbox read: a background task for `chorus serve`.
pub struct ImapPoller {
    app: App,
    interval: Duration,
    tls: Arc<rustls::ClientConfig>,
}

/// The longest IDLE: servers may drop a client idle for 30 minutes (RFC 2177 asks clients
/// to re-issue IDLE at least every 29), and some NATs forget a connection sooner.
const IDLE_FOR: Duration = Duration::from_secs(25 * 60);
/// The first wait after a failure; it doubles up to [`BACKOFF_MAX`].
const BACKOFF_MIN: Duration = Duration::from_secs(5);
const BACKOFF_MAX: Duration = Duration::from_secs(5 * 60);

/// Aborts an inbox's task when its entry is replaced or the poller stops.
struct Watch {
    fingerprint: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ImapPoller {
    /// A poller that re-reads the list of IMAP inboxes every `interval` and polls servers
    /// without IDLE as often.
    pub fn new(app: App, interval: Duration) -> Result<ImapPoller, PollError> {
        Ok(ImapPoller { app, interval: interval.max(Duration::from_secs(1)), tls: client_tls()? })
    }

    /// Trusts the certificates `tls` trusts instead of the platform's.
    pub fn with_tls(mut self, tls: Arc<rustls::ClientConfig>) -> ImapPoller {
        self.tls = tls;
        self
    }

    /// Runs until the task is aborted; the inboxes' tasks stop with it.
    pub async fn run(self) {
        let mut watches: HashMap<InboxId, Watch> = HashMap::new();
        loop {
            match self.app.imap_inboxes().await {
                Ok(inboxes) => self.reconcile(&mut watches, inboxes),
                Err(e) => tracing::warn!(error = %e, "imap: listing the inboxes to poll failed"),
            }
            tokio::time::sleep(self.interval).await;
        }
    }

    /// Starts a task for each new or changed inbox and stops those no longer listed.
    fn reconcile(&self, watches: &mut HashMap<InboxId, Watch>, inboxes: Vec<Inbox>) {
        let listed: Vec<InboxId> = inboxes.iter().map(|i| i.id).collect();
        watches.retain(|id, _| listed.contains(id));
        for inbox in inboxes {
            // Any change to what the task was started with (server, folder, secret,
            // status) restarts it with the new settings.
            let fingerprint = serde_json::to_string(&(&inbox.settings, &inbox.secret, &inbox.status, &inbox.name))
                .unwrap_or_default();
            let current = watches.get(&inbox.id).is_some_and(|w| w.fingerprint == fingerprint && !w.task.is_finished());
            if current {
                continue;
            }
            let (app, tls, interval) = (self.app.clone(), self.tls.clone(), self.interval);
            let id = inbox.id;
            let task = tokio::spawn(async move { watch(app, inbox, tls, interval).await });
            watches.insert(id, Watch { fingerprint, task });
        }
    }
}

/// Keeps one inbox's mailbox read until aborted.
async fn watch(app: App, inbox: Inbox, tls: Arc<rustls::ClientConfig>, interval: Duration) {
    let mut backoff = BACKOFF_MIN;
    loop {
        let result = stay_connected(&app, &inbox, &tls, interval, &mut backoff).await;
        if let Err(e) = result {
            tracing::warn!(inbox = %inbox.id, name = %inbox.name, error = %e, retry_in = ?backoff, "imap: polling failed");
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// One connection's life: read what is new, then wait (IDLE or sleep), again and again.
async fn stay_connected(
    app: &App,
    inbox: &Inbox,
    tls: &Arc<rustls::ClientConfig>,
    interval: Duration,
    backoff: &mut Duration,
) -> Result<(), PollError> {
    let settings = connect::settings(inbox)?;
    let mut session = connect::open(settings, tls).await?;
    let capabilities = connect::capabilities(&mut session).await?;
    let idle = capabilities.idle;
    loop {
        let stored = sync::sync(app, inbox, settings, &capabilities, &mut session).await?;
        *backoff = BACKOFF_MIN;
        if stored > 0 {
            tracing::info!(inbox = %inbox.id, stored, "imap: new mail stored");
        }
        if idle {
            session = connect::idle(session, IDLE_FOR).await?;
        } else {
            tokio::time::sleep(interval).await;
        }
    }
}
