//! File uploads (the raw file as the body) and downloads. Downloads are always served as
//! attachments that browsers must not sniff or render in the page's origin.

use crate::Shared;
use crate::auth::Auth;
use crate::dto::AttachmentDto;
use crate::error::{ApiError, ApiResult};
use crate::extract::{PathId, Query, body_rejection};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::AttachmentId;
use serde::Deserialize;
use tokio::io::AsyncReadExt;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes(upload_limit: usize) -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .layer(DefaultBodyLimit::max(upload_limit))
        .merge(OpenApiRouter::new().routes(routes!(download)))
}

/// The uploaded file's name.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// The file name to show and download under.
    filename: String,
}

/// Upload a file: the body is the file, `Content-Type` its type. Attach it to a reply or an
/// inbound message by its id.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "attachments", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    responses((status = 201, description = "Stored", body = AttachmentDto)))]
async fn upload(
    State(s): State<Shared>,
    Auth(actor): Auth,
    Query(q): Query<UploadQuery>,
    req: Request,
) -> ApiResult<(StatusCode, Json<AttachmentDto>)> {
    let content_type = match req.headers().get(header::CONTENT_TYPE) {
        None => "application/octet-stream".to_string(),
        Some(v) => v
            .to_str()
            .ok()
            .map(|t| t.trim().to_ascii_lowercase())
            .filter(|t| is_mime(t))
            .ok_or_else(|| ApiError::invalid("content-type", "must be a MIME type like image/png"))?,
    };
    let bytes = Bytes::from_request(req, &s).await.map_err(body_rejection)?;
    let attachment = s.app.store_attachment(&actor, &q.filename, &content_type, &bytes).await?;
    Ok((StatusCode::CREATED, Json(attachment.into())))
}

/// `type/subtype` with optional parameters, in printable ASCII.
pub(crate) fn is_mime(t: &str) -> bool {
    let essence = t.split(';').next().unwrap_or("").trim();
    let Some((ty, sub)) = essence.split_once('/') else { return false };
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b));
    token(ty) && token(sub) && t.len() <= 200 && t.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Download a file.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments", params(("id" = String, Path, description = "The attachment's id")),
    responses((status = 200, description = "The file, as an attachment", content_type = "application/octet-stream", body = Vec<u8>)))]
async fn download(State(s): State<Shared>, Auth(actor): Auth, PathId(id): PathId<AttachmentId>) -> ApiResult<Response> {
    let (attachment, content) = s.app.open_attachment(&actor, id).await?;
    file_response(&attachment, content).await
}

/// A stored file as a download that browsers must not sniff or render in Chorus's origin.
pub(crate) async fn file_response(attachment: &domain::Attachment, content: app::Content) -> ApiResult<Response> {
    let id = attachment.id;
    let (body, len) = match content {
        app::Content::Bytes(bytes) => {
            let len = bytes.len() as u64;
            (Body::from(bytes), len)
        }
        app::Content::File(path) => {
            let file = tokio::fs::File::open(&path)
                .await
                .map_err(|e| ApiError::internal(format!("opening attachment {id}: {e}")))?;
            let len =
                file.metadata().await.map_err(|e| ApiError::internal(format!("reading attachment {id}: {e}")))?.len();
            (Body::from_stream(chunks(file)), len)
        }
    };
    let content_type = HeaderValue::from_str(&attachment.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let disposition = HeaderValue::from_str(&content_disposition(&attachment.filename))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CONTENT_LENGTH, HeaderValue::from(len)),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox")),
    ];
    Ok((headers, body).into_response())
}

/// The file's contents in 64 KiB chunks.
fn chunks(file: tokio::fs::File) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> {
    futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}

/// `attachment; filename="…"; filename*=UTF-8''…`: an ASCII fallback name and the exact one.
fn content_disposition(filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    let mut encoded = String::with_capacity(filename.len() * 3);
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_is_safe_for_any_name() {
        assert_eq!(content_disposition("a b.pdf"), "attachment; filename=\"a b.pdf\"; filename*=UTF-8''a%20b.pdf");
        let d = content_disposition("ra\"port\r\nö.txt");
        assert!(HeaderValue::from_str(&d).is_ok());
        assert!(d.contains("filename=\"ra_port___.txt\""), "{d}");
    }

    #[test]
    fn mime_types_are_checked() {
        assert!(is_mime("image/png"));
        assert!(is_mime("text/plain; charset=utf-8"));
        assert!(!is_mime("png"));
        assert!(!is_mime("text/"));
    }
}
