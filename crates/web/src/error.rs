//! The one mapping from errors to HTTP. Every failure a client can see is an [`ApiError`]
//! with a stable [`ErrorCode`]; its status is chosen here and nowhere else, and its body is
//! always an [`ErrorBody`]. Internal causes are kept for the log and never sent to clients.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The stable catalogue of error codes clients may rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A value breaks a rule (wrong type, out of range, unknown enum value, missing field).
    ValidationFailed,
    /// The body is not well-formed JSON.
    BadJson,
    /// The body has a field this endpoint does not know.
    UnknownField,
    /// An id in the path is not an id.
    InvalidId,
    /// The request is malformed in some other way (a header, the query string).
    BadRequest,
    /// Nothing with this id in your workspace, or no such route.
    NotFound,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// The value is taken or the thing is in a state that forbids the change.
    Conflict,
    /// No valid session or token.
    Unauthenticated,
    /// The e-mail and password do not match an active account.
    InvalidCredentials,
    /// Your role may not do this.
    Forbidden,
    /// The body or file is too large.
    PayloadTooLarge,
    /// Too many attempts; wait for the number of seconds in `Retry-After`.
    RateLimited,
    /// The body is not of a type this endpoint accepts.
    UnsupportedMediaType,
    /// Something failed inside Chorus; quote the request id when reporting it.
    Internal,
}

impl ErrorCode {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::BadJson => "bad_json",
            ErrorCode::UnknownField => "unknown_field",
            ErrorCode::InvalidId => "invalid_id",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status that carries this code: the only place statuses are chosen.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::BadJson | ErrorCode::UnknownField | ErrorCode::InvalidId | ErrorCode::BadRequest => {
                StatusCode::BAD_REQUEST
            }
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::Unauthenticated | ErrorCode::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The code for a bare status produced outside our handlers (a layer, the router).
    pub(crate) fn for_status(status: StatusCode) -> ErrorCode {
        match status {
            StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::ValidationFailed,
            StatusCode::NOT_FOUND => ErrorCode::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
            StatusCode::CONFLICT => ErrorCode::Conflict,
            StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
            StatusCode::FORBIDDEN => ErrorCode::Forbidden,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            s if s.is_client_error() => ErrorCode::BadRequest,
            _ => ErrorCode::Internal,
        }
    }
}

/// Every error response's body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A code from the stable catalogue.
    #[schema(value_type = String, example = "validation_failed")]
    pub code: &'static str,
    /// What went wrong, for a human.
    pub message: String,
    /// What to do about it, when there is something to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The request field at fault (`settings.callback_url`, `identities[0].value`, `id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The id of this request, also in the `X-Request-Id` header; quote it in reports.
    pub request_id: String,
}

/// An error on its way to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    hint: Option<String>,
    field: Option<String>,
    retry_after_secs: Option<u64>,
    /// For the log only: what really failed behind an `internal` error.
    cause: Option<String>,
}

impl ApiError {
    /// An error with `code` and a message for humans.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), hint: None, field: None, retry_after_secs: None, cause: None }
    }

    /// Adds a hint on what to do.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Names the request field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        let field = field.into();
        if !field.is_empty() {
            self.field = Some(field);
        }
        self
    }

    /// An invalid value of `field`; the field is named in the message too.
    pub fn invalid(field: &str, message: impl std::fmt::Display) -> Self {
        if field.is_empty() {
            return ApiError::new(ErrorCode::ValidationFailed, message.to_string());
        }
        ApiError::new(ErrorCode::ValidationFailed, format!("{field}: {message}")).with_field(field)
    }

    /// A failure inside Chorus: `cause` goes to the log, the client sees only "internal error".
    pub fn internal(cause: impl Into<String>) -> Self {
        let mut e = ApiError::new(ErrorCode::Internal, "internal error")
            .with_hint("the error was logged; quote the request id if you report it");
        e.cause = Some(cause.into());
        e
    }

    /// Too many attempts; the client may try again after `secs` seconds.
    pub fn rate_limited(secs: u64) -> Self {
        let mut e = ApiError::new(ErrorCode::RateLimited, "too many attempts")
            .with_hint(format!("wait {secs} seconds before trying again"));
        e.retry_after_secs = Some(secs);
        e
    }

    /// The request needs a session or token.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Unauthenticated, message)
            .with_hint("sign in with POST /api/v1/auth/login, or send an API token as `Authorization: Bearer <token>`")
    }

    /// The error's code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The hidden cause of an internal error, for the log.
    pub(crate) fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    /// The full response for this error in a request with id `request_id`.
    pub(crate) fn render(&self, request_id: &str) -> Response {
        let body = ErrorBody {
            code: self.code.as_str(),
            message: self.message.clone(),
            hint: self.hint.clone(),
            field: self.field.clone(),
            request_id: request_id.to_string(),
        };
        let mut res = (self.code.status(), axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// The error travels to the request-context middleware in the response's extensions, which
/// renders it again with the request id and logs internal errors. Rendering it here too keeps
/// the body well-formed should the error ever be produced outside that middleware.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = self.render("");
        res.extensions_mut().insert(self);
        res
    }
}

impl From<app::Error> for ApiError {
    fn from(e: app::Error) -> Self {
        use app::Error as E;
        match e {
            E::Invalid { field, message } => ApiError::invalid(&field, message),
            E::NotFound { what } => ApiError::new(ErrorCode::NotFound, format!("{what} not found"))
                .with_hint("the id does not exist in your workspace"),
            E::Conflict { field, message } => ApiError::new(ErrorCode::Conflict, message).with_field(field),
            E::Unauthenticated => {
                ApiError::unauthenticated("sign in first: the session or token is missing, expired or revoked")
            }
            E::BadCredentials => ApiError::new(ErrorCode::InvalidCredentials, "e-mail or password is wrong"),
            E::Forbidden(why) => ApiError::new(ErrorCode::Forbidden, why).with_hint("ask an admin of your workspace"),
            E::TooLarge { what, limit } => {
                ApiError::new(ErrorCode::PayloadTooLarge, format!("{what} is larger than the limit of {limit} bytes"))
            }
            E::Internal(cause) => ApiError::internal(cause),
        }
    }
}

impl From<domain::DomainError> for ApiError {
    fn from(e: domain::DomainError) -> Self {
        match e {
            domain::DomainError::Invalid { field, message } => ApiError::invalid(&field, message),
        }
    }
}

/// A handler's result.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
impl ApiError {
    pub(crate) fn field_for_test(&self) -> Option<String> {
        self.field.clone()
    }
}
