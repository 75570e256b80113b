//! Attachment contents, stored content-addressed under the data directory: the file's
//! SHA-256 is its name, so the same file uploaded twice is stored once.

use crate::StoreError;
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
    /// it into place, so a crash never leaves a half-written blob under its final name.
    pub async fn put(&self, bytes: &[u8]) -> Result<String, StoreError> {
        let sha = hex(&Sha256::digest(bytes));
        let path = self.path(&sha)?;
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(sha);
        }
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        tokio::fs::create_dir_all(&dir).await.map_err(|e| io("creating", &dir, e))?;
        let tmp = dir.join(format!(".{sha}.{}.tmp", uuid::Uuid::now_v7().simple()));
        tokio::fs::write(&tmp, bytes).await.map_err(|e| io("writing", &tmp, e))?;
        tokio::fs::rename(&tmp, &path).await.map_err(|e| io("storing", &path, e))?;
        Ok(sha)
    }

    /// Where the blob with this SHA-256 lives (it may not exist).
    pub fn path(&self, sha256: &str) -> Result<PathBuf, StoreError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Corrupt(format!("{sha256:?} is not a SHA-256")));
        }
        Ok(self.root.join(&sha256[..2]).join(&sha256[2..]))
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
