//! The use cases' one error type. `web` maps each variant to an HTTP status and a stable
//! error code in exactly one place; nothing here knows about HTTP.

use domain::DomainError;
use store::StoreError;

/// What went wrong in a use case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value the caller sent breaks a rule.
    #[error("{field}: {message}")]
    Invalid {
        /// Where the value came from ("text", "identities[0].value").
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The thing does not exist in the caller's workspace (or at all: the two look the same).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for ("conversation", "contact").
        what: &'static str,
    },
    /// The value is already taken, or the thing is in a state that forbids the change.
    #[error("{message}")]
    Conflict {
        /// The field at fault.
        field: &'static str,
        /// What clashed.
        message: String,
    },
    /// No valid session or token was presented.
    #[error("sign in first")]
    Unauthenticated,
    /// The e-mail and password do not match an active account.
    #[error("e-mail or password is wrong")]
    BadCredentials,
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// A body or file is larger than allowed.
    #[error("{what} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The limit in bytes.
        limit: u64,
    },
    /// Something failed inside Chorus; the cause is logged, never shown to clients.
    #[error("internal error: {0}")]
    Internal(String),
}

/// A result of a use case.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An invalid value of `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid { field: field.into(), message: message.into() }
    }
}

impl From<DomainError> for Error {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { field, message } => Error::Invalid { field, message },
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { field } => Error::Conflict { field, message: format!("{field} is already taken") },
            other => Error::Internal(other.to_string()),
        }
    }
}
