//! Lists of keys bound as one value. A look-up of many keys with a placeholder per key
//! (`IN ($3, $4, …)`) has a different text for every length: SQLite prepares and caches
//! each length apart, crowding out of the connection's statement cache the statements an
//! inbound batch writes with, and binds each numbered placeholder by walking the
//! statement's names. Bound as one JSON array, a look-up has one text whatever the length,
//! is prepared once and binds one value. SQLite reads the array with `json_each`,
//! PostgreSQL with `json_array_elements`.

use crate::{Dialect, Result, StoreError};
use uuid::Uuid;

/// A subquery of the strings in the JSON array bound at `$n`.
pub(crate) fn texts(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Sqlite => format!("SELECT value FROM json_each(${n})"),
        Dialect::Postgres => format!("SELECT json_array_elements_text(${n}::json)"),
    }
}

/// A subquery of the ids in the JSON array bound at `$n` (written by [`ids_json`]).
pub(crate) fn ids(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Sqlite => format!("SELECT unhex(value) FROM json_each(${n})"),
        Dialect::Postgres => format!("SELECT json_array_elements_text(${n}::json)::uuid"),
    }
}

/// A subquery of the string pairs in the JSON array of two-element arrays bound at `$n`,
/// for a row-value `(a, b) IN (…)`.
pub(crate) fn pairs(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Sqlite => format!("SELECT value ->> 0, value ->> 1 FROM json_each(${n})"),
        Dialect::Postgres => format!("SELECT e ->> 0, e ->> 1 FROM json_array_elements(${n}::json) AS e"),
    }
}

/// The JSON array of `items`, for [`texts`] (or of pairs, for [`pairs`]). Strings and
/// arrays of them always serialise; the error is reported rather than a wrong list bound.
pub(crate) fn json<T: serde::Serialize + ?Sized>(items: &T) -> Result<String> {
    serde_json::to_string(items).map_err(|e| StoreError::Corrupt(format!("a list of keys as JSON: {e}")))
}

/// The JSON array of `ids` as 32 hex digits each: what SQLite's `unhex` turns back into the
/// stored 16 bytes, and one of the forms PostgreSQL reads as a `uuid`.
pub(crate) fn ids_json(ids: impl IntoIterator<Item = Uuid>) -> Result<String> {
    let hex: Vec<String> = ids.into_iter().map(|id| id.simple().to_string()).collect();
    json(&hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_written_as_bare_hex() {
        let id = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        assert_eq!(ids_json([id]).unwrap(), r#"["0123456789abcdef0123456789abcdef"]"#);
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(json(&["a\"b", "c"]).unwrap(), r#"["a\"b","c"]"#);
        assert_eq!(json(&[["email", "x@y"]]).unwrap(), r#"[["email","x@y"]]"#);
    }
}
