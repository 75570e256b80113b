//! Conversions between database rows and domain values: enums stored as text, typed ids
//! stored as UUIDs, JSON columns.

use crate::StoreError;
use domain::DomainError;
use std::str::FromStr;

/// Parses a text column into a domain enum; an unknown value means the row is corrupt.
pub(crate) fn parse<T: FromStr<Err = DomainError>>(text: &str) -> Result<T, StoreError> {
    T::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Parses a JSON column into a value.
pub(crate) fn json<T: serde::de::DeserializeOwned>(value: serde_json::Value, what: &str) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// The JSON text of a value, for binding into JSON columns.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> sqlx::types::Json<serde_json::Value> {
    sqlx::types::Json(serde_json::to_value(value).unwrap_or(serde_json::Value::Null))
}

/// Collects rows converted by a fallible function.
pub(crate) fn collect<R, T>(rows: Vec<R>, f: impl FnMut(R) -> Result<T, StoreError>) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(f).collect()
}
