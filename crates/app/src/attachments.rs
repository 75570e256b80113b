//! Attachments: uploaded first (stored by content: small files in the database, larger ones
//! on disk; metadata in the store), then named by id in a reply or inbound message.

use crate::{Actor, App, Error, Result};
use domain::{Attachment, AttachmentId, WorkspaceId};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use store::Tx;

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

    /// Describes a file and keeps its bytes, without recording it yet: a channel that
    /// receives many messages records it inside the message's own transaction
    /// ([`crate::Routing::files`]) instead of one write transaction per file. A large file
    /// is written to disk now; a small one travels with the description.
    pub(crate) async fn prepare_attachment(
        &self,
        ws: WorkspaceId,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<NewFile> {
        let limit = self.config().attachment_max_bytes;
        if bytes.len() as u64 > limit {
            return Err(Error::TooLarge { what: "the attachment", limit });
        }
        let filename = clean_filename(filename)?;
        let content_type = clean_content_type(content_type)?;
        let (sha256, inline) = if bytes.len() <= INLINE_MAX {
            (store::hex(&Sha256::digest(bytes)), Some(bytes.to_vec()))
        } else {
            (self.inner.blobs.put(bytes).await?, None)
        };
        let attachment = Attachment {
            id: AttachmentId::new(),
            workspace_id: ws,
            message_id: None,
            filename,
            content_type,
            size: bytes.len() as i64,
            sha256,
            created_at: self.now(),
        };
        Ok(NewFile { attachment, inline })
    }

    /// Stores a file for a workspace (channels store what customers send).
    pub async fn store_attachment_in(
        &self,
        ws: WorkspaceId,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<Attachment> {
        let file = self.prepare_attachment(ws, filename, content_type, bytes).await?;
        let mut tx = self.store_().write().await?;
        record_file(&mut tx, &file).await?;
        tx.commit().await?;
        Ok(file.attachment)
    }

    /// An attachment and where its bytes are.
    pub async fn open_attachment(&self, actor: &Actor, id: AttachmentId) -> Result<(Attachment, Content)> {
        let mut tx = self.store_().read().await?;
        let a = tx.get_attachment(actor.workspace_id, id).await?.ok_or(Error::NotFound { what: "attachment" })?;
        let content = self.content_of(&mut tx, &a).await?;
        Ok((a, content))
    }

    /// Where an attachment's bytes are: in the database or in a file.
    pub(crate) async fn content_of(&self, tx: &mut Tx, a: &Attachment) -> Result<Content> {
        Ok(match tx.file_content(a.workspace_id, &a.sha256).await? {
            Some(bytes) => Content::Bytes(bytes),
            None => Content::File(self.inner.blobs.path(&a.sha256)?),
        })
    }
}

/// Files up to this size are kept in the database, in the transaction that records them;
/// larger ones are written to the attachment directory first.
pub const INLINE_MAX: usize = 64 * 1024;

/// A file described and ready to record (see [`App::prepare_attachment`]).
#[derive(Debug, Clone)]
pub struct NewFile {
    /// What will be recorded.
    pub attachment: Attachment,
    /// The bytes of a small file, stored with the record; `None` when they are on disk.
    pub inline: Option<Vec<u8>>,
}

/// Records a prepared file (and a small file's bytes) in a transaction.
pub(crate) async fn record_file(tx: &mut Tx, file: &NewFile) -> Result<()> {
    if let Some(bytes) = &file.inline {
        tx.put_file_content(file.attachment.workspace_id, &file.attachment.sha256, bytes).await?;
    }
    tx.insert_attachment(&file.attachment).await?;
    Ok(())
}

/// Where an attachment's bytes are.
#[derive(Debug, Clone)]
pub enum Content {
    /// A small file, read from the database.
    Bytes(Vec<u8>),
    /// A larger file on disk.
    File(PathBuf),
}

impl Content {
    /// The whole file.
    pub async fn read(&self) -> std::io::Result<Vec<u8>> {
        match self {
            Content::Bytes(b) => Ok(b.clone()),
            Content::File(path) => tokio::fs::read(path).await,
        }
    }
}
