//! Request extractors that fail in the error catalogue's terms instead of axum's plain-text
//! rejections: a JSON body ([`JsonBody`]), a query string ([`Query`]) and a typed id in the
//! path ([`PathId`]). A value of the wrong type is reported with the path of the field it
//! sat in (`settings.callback_url`), an unknown field by name.

use crate::error::{ApiError, ErrorCode};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use std::str::FromStr;

/// A JSON request body, checked for its content type, its size, its syntax and its shape.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        require_json(req.headers())?;
        let bytes = Bytes::from_request(req, state).await.map_err(body_rejection)?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Fails unless the request says its body is JSON (`application/json` or `…+json`).
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json")) {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::UnsupportedMediaType, "the body must be JSON")
            .with_hint("send the header `Content-Type: application/json`"))
    }
}

/// Maps a failure to read the body (over the size limit, or cut off) into the catalogue.
pub fn body_rejection(e: BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ErrorCode::PayloadTooLarge, "the request body is larger than this endpoint accepts")
    } else {
        ApiError::new(ErrorCode::BadRequest, "the request body could not be read")
    }
}

/// Parses a JSON document into `T`, naming the field at fault when its shape is wrong.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        json_error(e.into_inner(), &path)
    })?;
    de.end().map_err(|e| json_error(e, ""))?;
    Ok(value)
}

fn json_error(e: serde_json::Error, path: &str) -> ApiError {
    use serde_json::error::Category;
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::new(ErrorCode::BadJson, format!("the body is not valid JSON: {full}"))
                .with_hint("check the JSON syntax near the position given")
        }
        Category::Data => shape_error(&message, path),
    }
}

/// Turns a deserialiser's complaint about a value at `path` into the catalogue's terms.
fn shape_error(message: &str, path: &str) -> ApiError {
    let path = if path == "." { "" } else { path };
    if let Some(name) = quoted(message, "unknown field `") {
        let field = join(path, name);
        let expected = message.split_once(", expected ").map(|(_, rest)| rest.to_string());
        let mut e = ApiError::new(ErrorCode::UnknownField, format!("unknown field {field:?}")).with_field(field);
        if let Some(expected) = expected {
            e = e.with_hint(format!("expected {expected}"));
        }
        return e;
    }
    if let Some(name) = quoted(message, "missing field `") {
        let field = join(path, name);
        return ApiError::invalid(&field, "is required");
    }
    ApiError::invalid(path, message)
}

/// The text between `prefix` and the next backtick, when `message` starts with `prefix`.
fn quoted<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else if path == name || path.ends_with(&format!(".{name}")) {
        path.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// A query string parsed into `T`; a bad value names its parameter.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parse_query(parts.uri.query().unwrap_or("")).map(Query)
    }
}

/// Parses a query string into `T`.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        shape_error(&message, &path)
    })
}

/// A typed id taken from the path (`/conversations/{id}`); anything that is not one is
/// refused with `invalid_id` naming the parameter.
pub struct PathId<T>(pub T);

impl<S: Send + Sync, T: FromStr + Send> FromRequestParts<S> for PathId<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::internal(format!("path parameters unavailable: {e}")))?;
        let (name, value) = params.iter().next().ok_or_else(|| ApiError::internal("route has no path parameter"))?;
        value.parse::<T>().map(PathId).map_err(|_| {
            ApiError::new(ErrorCode::InvalidId, format!("{name}: {value:?} is not a valid id"))
                .with_field(name)
                .with_hint("ids are UUIDs, as returned by the API")
        })
    }
}

/// Reads an optional cursor parameter.
pub fn cursor(raw: Option<&str>) -> Result<Option<domain::Cursor>, ApiError> {
    match raw {
        None | Some("") => Ok(None),
        Some(text) => Ok(Some(domain::Cursor::decode(text, "cursor")?)),
    }
}

/// Reads an optional page size parameter.
pub fn limit(raw: Option<u32>) -> Result<usize, ApiError> {
    Ok(domain::page::page_limit(raw, "limit")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        callback_url: Option<String>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        settings: Option<Inner>,
    }

    fn field_of(body: &str) -> (ErrorCode, Option<String>) {
        let e = parse_json::<Outer>(body.as_bytes()).unwrap_err();
        (e.code(), e.field_for_test())
    }

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(
            field_of(r#"{"name":"a","settings":{"callback_url":5}}"#),
            (ErrorCode::ValidationFailed, Some("settings.callback_url".into()))
        );
        assert_eq!(field_of(r#"{"settings":null}"#), (ErrorCode::ValidationFailed, Some("name".into())));
        assert_eq!(field_of(r#"{"name":"a","nope":1}"#), (ErrorCode::UnknownField, Some("nope".into())));
        assert_eq!(
            field_of(r#"{"name":"a","settings":{"x":1}}"#),
            (ErrorCode::UnknownField, Some("settings.x".into()))
        );
        assert_eq!(field_of(r#"{"name":"#).0, ErrorCode::BadJson);
        assert_eq!(field_of(r#"{"name":"a"} x"#).0, ErrorCode::BadJson);
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Q {
        limit: Option<u32>,
        status: Option<domain::Status>,
    }

    #[test]
    fn query_errors_name_the_parameter() {
        let e = parse_query::<Q>("limit=abc").unwrap_err();
        assert_eq!((e.code(), e.field_for_test()), (ErrorCode::ValidationFailed, Some("limit".into())));
        let e = parse_query::<Q>("status=gone").unwrap_err();
        assert_eq!((e.code(), e.field_for_test()), (ErrorCode::ValidationFailed, Some("status".into())));
        let e = parse_query::<Q>("x=1").unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnknownField);
        assert!(parse_query::<Q>("limit=5&status=open").is_ok());
    }
}
