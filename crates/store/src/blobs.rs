//! Attachment contents, stored by content: the SHA-256 of a file is its name, so the same
//! file uploaded twice is stored once. Small files are rows of `file_contents`, written in
//! the transaction that records them ([`Tx::put_file_content`]); larger ones are files
//! under the data directory ([`Blobs`]).

use crate::{Result, StoreError, Tx, run};
use domain::WorkspaceId;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A directory of content-addressed files.
#[derive(Debug, Clone)]
pub struct Blobs {
    root: PathBuf,
}

impl Blobs {
    /// Files live under `root/ab/cdef…`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Blobs { root: root.into() }
    }

    /// Stores `bytes` and returns their hex SHA-256. Writes to a temporary file and renames
    /// it into place, so a crash never leaves a half-written blob under its final name. The
    /// whole of it is one trip to the blocking pool: each file operation on its own was a
    /// hand-off between threads, and a mail's original is stored on every inbound mail.
    pub async fn put(&self, bytes: &[u8]) -> std::result::Result<String, StoreError> {
        let sha = hex(&Sha256::digest(bytes));
        let path = self.path(&sha)?;
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        let tmp = dir.join(format!(".{sha}.{}.tmp", uuid::Uuid::now_v7().simple()));
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || {
            if path.exists() {
                return Ok(());
            }
            let write = |bytes: &[u8]| std::fs::write(&tmp, bytes);
            if let Err(e) = write(&bytes) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    return Err(io("writing", &tmp, e));
                }
                // The first blob under this two-letter directory.
                std::fs::create_dir_all(&dir).map_err(|e| io("creating", &dir, e))?;
                write(&bytes).map_err(|e| io("writing", &tmp, e))?;
            }
            std::fs::rename(&tmp, &path).map_err(|e| io("storing", &path, e))
        })
        .await
        .map_err(|e| StoreError::Io(format!("storing a file: {e}")))??;
        Ok(sha)
    }

    /// Where the blob with this SHA-256 lives (it may not exist).
    pub fn path(&self, sha256: &str) -> std::result::Result<PathBuf, StoreError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Corrupt(format!("{sha256:?} is not a SHA-256")));
        }
        Ok(self.root.join(&sha256[..2]).join(&sha256[2..]))
    }
}

impl Tx {
    /// Stores a small file's bytes under their SHA-256 (once per workspace). Deferred to
    /// the commit when the transaction defers its writes.
    pub async fn put_file_content(&mut self, ws: WorkspaceId, sha256: &str, bytes: &[u8]) -> Result<()> {
        if let Some(deferred) = &mut self.deferred {
            deferred.file_contents.insert((ws, sha256.to_string()), bytes.to_vec());
            return Ok(());
        }
        self.put_file_contents(&[((ws, sha256.to_string()), bytes.to_vec())]).await
    }

    /// Stores several small files in one statement.
    pub(crate) async fn put_file_contents(&mut self, rows: &[((WorkspaceId, String), Vec<u8>)]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let values = crate::values::Values::new(self.dialect(), rows.len(), 3);
        let q = format!(
            "INSERT INTO file_contents (workspace_id, sha256, bytes) {} \
             ON CONFLICT (workspace_id, sha256) DO NOTHING",
            values.sql
        );
        run!(self, |c| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(q.as_str()));
            for ((ws, sha), bytes) in rows {
                query = query.bind(ws.0).bind(sha.as_str()).bind(bytes.as_slice());
            }
            values.pad(query).execute(c).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// A small file's bytes, when it is stored in the database (a larger one is a file).
    pub async fn file_content(&mut self, ws: WorkspaceId, sha256: &str) -> Result<Option<Vec<u8>>> {
        let q = "SELECT bytes FROM file_contents WHERE workspace_id = $1 AND sha256 = $2";
        Ok(run!(self, |c| sqlx::query_scalar(q).bind(ws.0).bind(sha256).fetch_optional(c).await)?)
    }
}

fn io(doing: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io(format!("{doing} {}: {e}", path.display()))
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_blob_is_stored_once_under_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::new(dir.path().join("files"));
        let sha = blobs.put(b"hello").await.unwrap();
        assert_eq!(sha, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        assert_eq!(std::fs::read(blobs.path(&sha).unwrap()).unwrap(), b"hello");
        assert_eq!(blobs.put(b"hello").await.unwrap(), sha, "the same content again is the same blob");
        let other = blobs.put(b"world").await.unwrap();
        assert_ne!(other, sha);
        let leftovers = std::fs::read_dir(blobs.path(&sha).unwrap().parent().unwrap())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".tmp"))
            .count();
        assert_eq!(leftovers, 0, "no temporary file is left behind");
        assert!(blobs.path("not-a-hash").is_err());
    }
}
