//! Contacts (customers) and their identities: one person, many ways to reach them.

use crate::{ContactId, DomainError, Millis, NoteId, UserId, WorkspaceId, text_enum};
use serde::{Deserialize, Serialize};

text_enum!(
    /// What kind of address an identity is. Within a workspace, (kind, value) names one contact.
    IdentityKind, "identity kind" {
        /// An e-mail address, lower-cased.
        Email => "email",
        /// A phone number in E.164 (`+3725551234`); SMS, WhatsApp and voice use it.
        Phone => "phone",
        /// An integration's own id for the customer (API channel).
        External => "external",
        /// A web chat visitor.
        Widget => "widget",
        /// A Telegram user id.
        Telegram => "telegram",
        /// A Messenger page-scoped id.
        Messenger => "messenger",
    }
);

/// A normalised way to reach a contact.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identity {
    /// What kind of address it is.
    pub kind: IdentityKind,
    /// The normalised value.
    pub value: String,
}

impl Identity {
    /// Normalises `raw` for `kind`: e-mail lower-cased and checked, phone to E.164, handles trimmed.
    pub fn parse(kind: IdentityKind, raw: &str) -> Result<Identity, DomainError> {
        let value = match kind {
            IdentityKind::Email => normalise_email(raw)?,
            IdentityKind::Phone => normalise_phone(raw)?,
            _ => {
                let v = raw.trim();
                if v.is_empty() || v.len() > 256 || v.chars().any(char::is_control) {
                    return Err(DomainError::invalid("value", "must be 1 to 256 printable characters"));
                }
                v.to_string()
            }
        };
        Ok(Identity { kind, value })
    }
}

/// Lower-cases and checks an e-mail address (one `@`, a dotted domain, no spaces).
pub fn normalise_email(raw: &str) -> Result<String, DomainError> {
    let v = raw.trim().to_lowercase();
    let bad = |why: &str| DomainError::invalid("value", format!("{v:?} is not an e-mail address: {why}"));
    let (local, domain) = v.split_once('@').ok_or_else(|| bad("no @"))?;
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return Err(bad("expected one @ between a name and a domain"));
    }
    if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
        return Err(bad("the domain needs a dot, like example.com"));
    }
    if v.len() > 254 || v.chars().any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c)) {
        return Err(bad("contains characters an address cannot have"));
    }
    Ok(v)
}

/// Normalises a phone number to E.164: `+`, country code and number, 8 to 15 digits.
/// Spaces, dots, dashes and brackets are dropped; a leading `00` becomes `+`.
pub fn normalise_phone(raw: &str) -> Result<String, DomainError> {
    let t = raw.trim();
    let bad = |why: &str| {
        DomainError::invalid("value", format!("{t:?} is not a phone number in international form (+3725551234): {why}"))
    };
    let rest = if let Some(r) = t.strip_prefix('+') {
        r
    } else if let Some(r) = t.strip_prefix("00") {
        r
    } else {
        return Err(bad("it must start with + and the country code"));
    };
    let mut digits = String::with_capacity(16);
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(bad("only digits, spaces, dots, dashes and brackets are allowed")),
        }
    }
    if digits.starts_with('0') {
        return Err(bad("a country code never starts with 0"));
    }
    if !(8..=15).contains(&digits.len()) {
        return Err(bad("it needs 8 to 15 digits"));
    }
    Ok(format!("+{digits}"))
}

/// A customer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Contact {
    /// Its id.
    pub id: ContactId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Their name, if known.
    pub name: Option<String>,
    /// Their company, if known.
    pub company: Option<String>,
    /// Custom attributes (plan, order count, ...): a JSON object.
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Every way to reach them.
    pub identities: Vec<Identity>,
    /// When they were created.
    pub created_at: Millis,
    /// When they last changed.
    pub updated_at: Millis,
}

impl Contact {
    /// A name for people to read: the name, else the first identity, else "Unknown".
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.identities.first().map(|i| i.value.clone()))
            .unwrap_or_else(|| "Unknown".to_string())
    }

    /// Folds `other`'s attributes into this contact's: values already here win.
    pub fn absorb_attributes(&mut self, other: &Contact) {
        for (k, v) in &other.attributes {
            self.attributes.entry(k.clone()).or_insert_with(|| v.clone());
        }
        if self.name.is_none() {
            self.name = other.name.clone();
        }
        if self.company.is_none() {
            self.company = other.company.clone();
        }
    }
}

/// A note about a contact, kept beside every conversation with them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContactNote {
    /// Its id.
    pub id: NoteId,
    /// The contact it is about.
    pub contact_id: crate::ContactId,
    /// Who wrote it.
    pub author_id: Option<UserId>,
    /// What it says.
    pub body: String,
    /// When it was written.
    pub created_at: Millis,
}

/// Checks custom attributes: at most 100 keys of 1 to 64 characters.
pub fn validate_attributes(attrs: &serde_json::Map<String, serde_json::Value>) -> Result<(), DomainError> {
    if attrs.len() > 100 {
        return Err(DomainError::invalid("attributes", "at most 100 attributes"));
    }
    for k in attrs.keys() {
        if k.is_empty() || k.chars().count() > 64 {
            return Err(DomainError::invalid(format!("attributes.{k}"), "attribute names are 1 to 64 characters"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(normalise_email("  Ana@Example.COM ").unwrap(), "ana@example.com");
        for bad in ["ana", "ana@", "@x.com", "ana@x", "a b@x.com", "a@@x.com", "a@x..com"] {
            assert!(normalise_email(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn phones_become_e164() {
        assert_eq!(normalise_phone("+372 555-12 34").unwrap(), "+3725551234");
        assert_eq!(normalise_phone("00 44 (20) 7946 0958").unwrap(), "+442079460958");
        for bad in ["5551234", "+0123456789", "+12", "+372 555 12a4"] {
            assert!(normalise_phone(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn handles_are_trimmed_and_bounded() {
        assert_eq!(Identity::parse(IdentityKind::Telegram, " 12345 ").unwrap().value, "12345");
        assert!(Identity::parse(IdentityKind::External, "  ").is_err());
        assert!("fax".parse::<IdentityKind>().is_err());
    }
}
