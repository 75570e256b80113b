//! The store's errors. Unique-key violations become `Conflict { field }` here, by
//! constraint, so SQLite and PostgreSQL report them alike.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key already holds this value.
    #[error("{field} is already taken")]
    Conflict {
        /// Which value clashed ("email", "name", "provider_message_id", "identity").
        field: &'static str,
    },
    /// A stored value could not be read back (written by a newer version, or edited by hand).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The operation does not exist for this backend.
    #[error("{0}")]
    Unsupported(&'static str),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
    /// The database failed or could not be reached.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// Maps a unique violation of a write to `Conflict { field }`; other errors pass through.
    pub(crate) fn unique(field: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict { field },
            _ => StoreError::Database(e),
        }
    }

    /// Whether retrying the transaction may succeed (a lost race on PostgreSQL).
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Conflict { .. } => true,
            StoreError::Database(sqlx::Error::Database(d)) => {
                matches!(d.code().as_deref(), Some("40001") | Some("40P01"))
            }
            _ => false,
        }
    }
}
