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
}

impl Default for InboxSettings {
    fn default() -> Self {
        InboxSettings { callback_url: None, reopen_window_minutes: 7 * 24 * 60 }
    }
}

impl InboxSettings {
    /// Checks the settings make sense for an inbox of `kind`.
    pub fn validate(&self, kind: ChannelKind) -> Result<(), DomainError> {
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
        if self.reopen_window_minutes < 0 {
            return Err(DomainError::invalid("settings.reopen_window_minutes", "must be zero or more"));
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
