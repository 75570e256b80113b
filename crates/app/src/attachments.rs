//! Attachments: uploaded first (content-addressed on disk, metadata in the store), then
//! named by id in a reply or inbound message.

use crate::{Actor, App, Error, Result};
use domain::{Attachment, AttachmentId, WorkspaceId};
use std::path::PathBuf;

fn clean_filename(raw: &str) -> Result<String> {
    let name: String = raw.chars().filter(|c| !c.is_control() && !matches!(c, '/' | '\\')).collect();
    let name = name.trim().trim_start_matches('.').to_string();
    if name.is_empty() || name.len() > 255 {
        return Err(Error::invalid("filename", "must be 1 to 255 bytes, without slashes"));
    }
    Ok(name)
}

fn clean_content_type(raw: &str) -> Result<String> {
    let ct = raw.trim().to_ascii_lowercase();
    let ok = ct.len() <= 255
        && ct.split_once('/').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
        && ct.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    if ok { Ok(ct) } else { Err(Error::invalid("content_type", format!("{raw:?} is not a MIME type like image/png"))) }
}

impl App {
    /// Stores an uploaded file for the caller's workspace.
    pub async fn store_attachment(
        &self,
        actor: &Actor,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<Attachment> {
        self.store_attachment_in(actor.workspace_id, filename, content_type, bytes).await
    }

    /// Writes a file's bytes and describes it, without recording it yet: a channel that
    /// receives many messages records the rows inside the message's own transaction
    /// ([`crate::Routing::files`]) instead of one write transaction per file.
    pub(crate) async fn prepare_attachment(
        &self,
        ws: WorkspaceId,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<Attachment> {
        let limit = self.config().attachment_max_bytes;
        if bytes.len() as u64 > limit {
            return Err(Error::TooLarge { what: "the attachment", limit });
        }
        let filename = clean_filename(filename)?;
        let content_type = clean_content_type(content_type)?;
        let sha256 = self.inner.blobs.put(bytes).await?;
        Ok(Attachment {
            id: AttachmentId::new(),
            workspace_id: ws,
            message_id: None,
            filename,
            content_type,
            size: bytes.len() as i64,
            sha256,
            created_at: self.now(),
        })
    }

    /// Stores a file for a workspace (channels store what customers send).
    pub async fn store_attachment_in(
        &self,
        ws: WorkspaceId,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<Attachment> {
        let a = self.prepare_attachment(ws, filename, content_type, bytes).await?;
        let mut tx = self.store_().write().await?;
        tx.insert_attachment(&a).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// An attachment and the file holding its content.
    pub async fn open_attachment(&self, actor: &Actor, id: AttachmentId) -> Result<(Attachment, PathBuf)> {
        let mut tx = self.store_().read().await?;
        let a = tx.get_attachment(actor.workspace_id, id).await?.ok_or(Error::NotFound { what: "attachment" })?;
        let path = self.inner.blobs.path(&a.sha256)?;
        Ok((a, path))
    }
}
