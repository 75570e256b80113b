//! Inboxes: one per channel instance, with its kind, settings and lifecycle status.

use crate::{DomainError, InboxId, Millis, WorkspaceId, text_enum};
use serde::{Deserialize, Serialize};

text_enum!(
    /// The kind of channel an inbox speaks.
    ChannelKind, "kind" {
        /// A custom integration: messages in over the REST API, replies out to a callback URL.
        Api => "api",
        /// E-mail.
        Email => "email",
        /// The web chat widget.
        Widget => "widget",
        /// SMS.
        Sms => "sms",
        /// WhatsApp.
        Whatsapp => "whatsapp",
        /// Telegram.
        Telegram => "telegram",
        /// Facebook Messenger.
        Messenger => "messenger",
        /// Phone calls.
        Voice => "voice",
    }
);

text_enum!(
    /// Where an inbox is in its life.
    InboxStatus, "status" {
        /// Receiving and sending.
        Active => "active",
        /// Being retired: still works, customers are pointed to alternatives.
        Sunset => "sunset",
        /// Retired: answers with the alternatives where it can, never drops a message.
        Closed => "closed",
    }
);

/// Per-inbox settings. Unknown keys are refused at the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InboxSettings {
    /// API channel: where replies are POSTed, signed with the inbox secret.
    pub callback_url: Option<String>,
    /// A customer writing within this many minutes of a resolution reopens that conversation
    /// instead of starting a new one. Zero never reopens.
    pub reopen_window_minutes: i64,
    /// E-mail channel: addresses, and the servers mail comes from and goes to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailSettings>,
    /// Retiring the inbox: its closing date, the channels customers should use instead and
    /// the notice's opening words (see [`crate::sunset`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sunset: Option<crate::sunset::SunsetSettings>,
    /// The SLA policy of this inbox's conversations; without one (or once it is deleted) the
    /// workspace's default applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla_policy_id: Option<crate::SlaPolicyId>,
    /// Web chat: the widget's look, language, allowed sites and assistant questions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub widget: Option<crate::widget::WidgetSettings>,
}

impl Default for InboxSettings {
    fn default() -> Self {
        InboxSettings {
            callback_url: None,
            reopen_window_minutes: 7 * 24 * 60,
            email: None,
            sunset: None,
            sla_policy_id: None,
            widget: None,
        }
    }
}

/// An e-mail inbox's addresses and servers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailSettings {
    /// The addresses it receives at, lower-cased; the first is the From of replies. Each
    /// address belongs to one inbox across all workspaces (Chorus's SMTP listener routes by it).
    pub addresses: Vec<String>,
    /// The team's name for the From header: replies come from "Ana from {from_name}".
    pub from_name: Option<String>,
    /// The relay replies are sent through.
    pub smtp: Option<MailServer>,
    /// A mailbox polled for new mail.
    pub imap: Option<ImapSettings>,
}

text_enum!(
    /// How a connection to a mail server is protected.
    Security, "security" {
        /// TLS from the first byte (SMTPS 465, IMAPS 993).
        Tls => "tls",
        /// Plain first, then STARTTLS (submission 587, IMAP 143).
        Starttls => "starttls",
        /// No encryption (only for a server on the same machine or in tests).
        None => "none",
    }
);

/// A mail server to send through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailServer {
    /// Its host name.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is protected.
    pub security: Security,
    /// The login, when the server asks for one.
    #[serde(default)]
    pub username: Option<String>,
    /// The password.
    #[serde(default)]
    pub password: Option<String>,
}

/// A mailbox to poll over IMAP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapSettings {
    /// Its host name.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is protected.
    pub security: Security,
    /// The login.
    pub username: String,
    /// The password (empty in an update: keep the stored one).
    #[serde(default)]
    pub password: String,
    /// The folder to read (`INBOX`).
    #[serde(default = "default_folder")]
    pub folder: String,
    /// A folder to move processed mail to; without one it is marked read (`\Seen`).
    #[serde(default)]
    pub move_to: Option<String>,
}

fn default_folder() -> String {
    "INBOX".into()
}

impl EmailSettings {
    /// Checks and normalises the settings (addresses lower-cased, servers named).
    pub fn validate(&mut self) -> Result<(), DomainError> {
        if self.addresses.is_empty() {
            return Err(DomainError::invalid("settings.email.addresses", "an e-mail inbox needs at least one address"));
        }
        for (i, a) in self.addresses.iter_mut().enumerate() {
            *a = crate::contact::normalise_email(a).map_err(|_| {
                DomainError::invalid(
                    format!("settings.email.addresses[{i}]"),
                    format!("{a:?} is not an e-mail address"),
                )
            })?;
            if a.split('@').next().is_some_and(|local| local.contains('+')) {
                return Err(DomainError::invalid(
                    format!("settings.email.addresses[{i}]"),
                    "must not contain '+': Chorus adds its own +tag for replies",
                ));
            }
        }
        if let Some(n) = &self.from_name
            && (n.trim().is_empty() || n.chars().count() > 100 || n.contains(['\r', '\n']))
        {
            return Err(DomainError::invalid("settings.email.from_name", "must be 1 to 100 characters on one line"));
        }
        if let Some(s) = &self.smtp {
            check_host(&s.host, "settings.email.smtp.host")?;
        }
        if let Some(i) = &self.imap {
            check_host(&i.host, "settings.email.imap.host")?;
            if i.folder.trim().is_empty() {
                return Err(DomainError::invalid("settings.email.imap.folder", "must not be empty"));
            }
        }
        Ok(())
    }
}

fn check_host(host: &str, field: &str) -> Result<(), DomainError> {
    let ok = !host.is_empty()
        && host.len() <= 253
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if ok { Ok(()) } else { Err(DomainError::invalid(field, format!("{host:?} is not a host name"))) }
}

impl InboxSettings {
    /// Checks the settings make sense for an inbox of `kind`.
    pub fn validate(&mut self, kind: ChannelKind) -> Result<(), DomainError> {
        if let Some(url) = &self.callback_url {
            let ok = (url.starts_with("http://") || url.starts_with("https://"))
                && url.len() > 8
                && !url.contains(char::is_whitespace);
            if !ok {
                return Err(DomainError::invalid(
                    "settings.callback_url",
                    "must be an absolute http:// or https:// URL",
                ));
            }
        } else if kind == ChannelKind::Api {
            // An API inbox without a callback can still receive; replies then fail visibly.
        }
        match (&self.email, kind) {
            (Some(_), k) if k != ChannelKind::Email => {
                return Err(DomainError::invalid("settings.email", "only e-mail inboxes have e-mail settings"));
            }
            (None, ChannelKind::Email) => {
                return Err(DomainError::invalid("settings.email", "an e-mail inbox needs its addresses"));
            }
            _ => {}
        }
        match (&mut self.widget, kind) {
            (Some(_), k) if k != ChannelKind::Widget => {
                return Err(DomainError::invalid("settings.widget", "only widget inboxes have widget settings"));
            }
            (Some(w), _) => w.validate(crate::widget::LANGUAGES)?,
            (None, ChannelKind::Widget) => self.widget = Some(crate::widget::WidgetSettings::default()),
            _ => {}
        }
        if self.reopen_window_minutes < 0 {
            return Err(DomainError::invalid("settings.reopen_window_minutes", "must be zero or more"));
        }
        if let Some(email) = &mut self.email {
            email.validate()?;
        }
        if let Some(sunset) = &mut self.sunset {
            // Whether alternatives are required depends on the status, checked with it.
            sunset.validate(InboxStatus::Active).map_err(|e| match e {
                DomainError::Invalid { field, message } => DomainError::invalid(format!("settings.{field}"), message),
            })?;
        }
        Ok(())
    }
}

/// One channel instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inbox {
    /// Its id.
    pub id: InboxId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// The channel it speaks.
    pub kind: ChannelKind,
    /// Its name ("Support e-mail", "Shop chat").
    pub name: String,
    /// Its settings.
    pub settings: InboxSettings,
    /// The secret that signs outgoing callbacks and verifies signed inbound posts.
    pub secret: String,
    /// Where it is in its life.
    pub status: InboxStatus,
    /// When it was created.
    pub created_at: Millis,
}

/// Checks a display name: trimmed, 1 to 200 characters.
pub fn validate_name(raw: &str, field: &str) -> Result<String, DomainError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if name.chars().count() > 200 {
        return Err(DomainError::invalid(field, "must be at most 200 characters"));
    }
    Ok(name.to_string())
}
