//! The e-mail part of the inbox form: addresses, the From name, the SMTP relay replies go
//! through and the IMAP mailbox to poll. It turns what was typed into
//! [`EmailSettings`] and names each problem after its input. It never renders a password
//! back: the password inputs always come out empty, and an empty one keeps the stored
//! password (the app decides that, not this form).

use domain::inbox::{EmailSettings, ImapSettings, MailServer, Security};
use serde::Deserialize;

/// The inputs of the e-mail part, by name.
pub(super) const FIELDS: &[&str] = &[
    "addresses",
    "from_name",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_username",
    "smtp_password",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_username",
    "imap_password",
    "imap_folder",
    "imap_move_to",
];

/// The e-mail part as typed (every field text, so a bad value comes back as it was).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct EmailForm {
    pub(super) addresses: String,
    pub(super) from_name: String,
    pub(super) smtp_host: String,
    pub(super) smtp_port: String,
    pub(super) smtp_security: String,
    pub(super) smtp_username: String,
    /// Read, never rendered.
    pub(super) smtp_password: String,
    pub(super) imap_host: String,
    pub(super) imap_port: String,
    pub(super) imap_security: String,
    pub(super) imap_username: String,
    /// Read, never rendered.
    pub(super) imap_password: String,
    pub(super) imap_folder: String,
    pub(super) imap_move_to: String,
}

impl EmailForm {
    pub(super) fn blank() -> EmailForm {
        EmailForm {
            smtp_security: Security::Starttls.to_string(),
            imap_security: Security::Tls.to_string(),
            imap_folder: "INBOX".into(),
            ..Default::default()
        }
    }

    /// The stored settings, passwords left out.
    pub(super) fn of(settings: Option<&EmailSettings>) -> EmailForm {
        let Some(s) = settings else { return EmailForm::blank() };
        let mut form = EmailForm {
            addresses: s.addresses.join("\n"),
            from_name: s.from_name.clone().unwrap_or_default(),
            ..EmailForm::blank()
        };
        if let Some(smtp) = &s.smtp {
            form.smtp_host = smtp.host.clone();
            form.smtp_port = smtp.port.to_string();
            form.smtp_security = smtp.security.to_string();
            form.smtp_username = smtp.username.clone().unwrap_or_default();
        }
        if let Some(imap) = &s.imap {
            form.imap_host = imap.host.clone();
            form.imap_port = imap.port.to_string();
            form.imap_security = imap.security.to_string();
            form.imap_username = imap.username.clone();
            form.imap_folder = imap.folder.clone();
            form.imap_move_to = imap.move_to.clone().unwrap_or_default();
        }
        form
    }

    /// The settings typed. An empty host means "no such server"; the app checks the rest
    /// (addresses, host names) and names its errors `settings.email.…` like these do.
    pub(super) fn settings(&self) -> Result<EmailSettings, app::Error> {
        let addresses =
            self.addresses.split([',', '\n']).map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect();
        let smtp = match self.smtp_host.trim() {
            "" => None,
            host => {
                let security = security(&self.smtp_security, "smtp")?;
                Some(MailServer {
                    host: host.to_string(),
                    port: port(&self.smtp_port, "smtp", smtp_port(security))?,
                    security,
                    username: optional(&self.smtp_username),
                    password: (!self.smtp_password.is_empty()).then(|| self.smtp_password.clone()),
                })
            }
        };
        let imap = match self.imap_host.trim() {
            "" => None,
            host => {
                let security = security(&self.imap_security, "imap")?;
                let port = port(&self.imap_port, "imap", imap_port(security))?;
                let username = self.imap_username.trim();
                if username.is_empty() {
                    return Err(app::Error::invalid("settings.email.imap.username", "enter the mailbox's login"));
                }
                let folder = self.imap_folder.trim();
                Some(ImapSettings {
                    host: host.to_string(),
                    port,
                    security,
                    username: username.to_string(),
                    password: self.imap_password.clone(),
                    folder: if folder.is_empty() { "INBOX".into() } else { folder.to_string() },
                    move_to: optional(&self.imap_move_to),
                })
            }
        };
        Ok(EmailSettings { addresses, from_name: optional(&self.from_name), smtp, imap })
    }

    /// (value, selected) pairs for the relay's security `<select>`.
    pub(super) fn smtp_securities(&self) -> Vec<(String, bool)> {
        super::inboxes::options(Security::ALL, &self.smtp_security)
    }

    /// (value, selected) pairs for the mailbox's security `<select>`.
    pub(super) fn imap_securities(&self) -> Vec<(String, bool)> {
        super::inboxes::options(Security::ALL, &self.imap_security)
    }
}

fn optional(raw: &str) -> Option<String> {
    let v = raw.trim();
    (!v.is_empty()).then(|| v.to_string())
}

fn security(raw: &str, server: &str) -> Result<Security, app::Error> {
    raw.trim()
        .parse()
        .map_err(|_| app::Error::invalid(format!("settings.email.{server}.security"), "choose tls, starttls or none"))
}

/// An empty port means the usual one for the security chosen.
fn port(raw: &str, server: &str, usual: u16) -> Result<u16, app::Error> {
    match raw.trim() {
        "" => Ok(usual),
        p => p.parse().ok().filter(|p| *p > 0).ok_or_else(|| {
            app::Error::invalid(format!("settings.email.{server}.port"), "enter a port number from 1 to 65535")
        }),
    }
}

fn smtp_port(security: Security) -> u16 {
    match security {
        Security::Tls => 465,
        Security::Starttls => 587,
        Security::None => 25,
    }
}

fn imap_port(security: Security) -> u16 {
    match security {
        Security::Tls => 993,
        Security::Starttls | Security::None => 143,
    }
}

/// Gives e-mail errors the name of their input: `settings.email.addresses[2]` belongs to
/// `addresses`, `settings.email.smtp.host` to `smtp_host`; an address another inbox has is
/// a problem of `addresses` too. Other errors pass through unchanged.
pub(super) fn rename(e: app::Error) -> app::Error {
    match e {
        app::Error::Invalid { field, message } => match input_of(&field) {
            Some(input) => app::Error::Invalid { field: input, message },
            None => app::Error::Invalid { field, message },
        },
        app::Error::Conflict { field: "settings.email.addresses", .. } => {
            app::Error::invalid("addresses", "another inbox already receives mail at one of these addresses")
        }
        other => other,
    }
}

fn input_of(field: &str) -> Option<String> {
    let rest = field.strip_prefix("settings.email")?;
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    let base = rest.split('[').next().unwrap_or(rest);
    // Bare `settings.email` ("needs its addresses") is about the addresses.
    Some(if base.is_empty() { "addresses".to_string() } else { base.replacen('.', "_", 1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_names_become_input_names() {
        assert_eq!(input_of("settings.email.addresses[3]").as_deref(), Some("addresses"));
        assert_eq!(input_of("settings.email.smtp.host").as_deref(), Some("smtp_host"));
        assert_eq!(input_of("settings.email.imap.move_to").as_deref(), Some("imap_move_to"));
        assert_eq!(input_of("settings.email").as_deref(), Some("addresses"));
        assert_eq!(input_of("settings.callback_url"), None);
        assert_eq!(input_of("settings.email.from_name").as_deref(), Some("from_name"));
    }

    #[test]
    fn empty_ports_follow_the_security() {
        let form = EmailForm {
            addresses: "a@x.test, b@x.test\nc@x.test".into(),
            smtp_host: "smtp.x.test".into(),
            imap_host: "imap.x.test".into(),
            imap_username: "me".into(),
            ..EmailForm::blank()
        };
        let s = form.settings().unwrap();
        assert_eq!(s.addresses, ["a@x.test", "b@x.test", "c@x.test"]);
        assert_eq!((s.smtp.unwrap().port, s.imap.unwrap().port), (587, 993));
    }
}
