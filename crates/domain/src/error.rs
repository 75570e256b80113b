//! The domain's one error: a value that breaks a rule, named by the field it came from.

/// A rule the input broke. `field` names where the bad value came from so the caller can
/// point at it ("identities[0].value", "status").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A value is malformed or not allowed.
    #[error("{field}: {message}")]
    Invalid {
        /// The field the value came from.
        field: String,
        /// What is wrong with it, in words for a human.
        message: String,
    },
}

impl DomainError {
    /// A value of `field` is invalid for the reason in `message`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid { field: field.into(), message: message.into() }
    }

    /// The same error, reported under another field name (e.g. prefixed with its parent).
    pub fn in_field(self, field: impl Into<String>) -> Self {
        match self {
            DomainError::Invalid { message, .. } => DomainError::Invalid { field: field.into(), message },
        }
    }
}
