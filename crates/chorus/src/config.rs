//! Configuration, decided once at start: defaults < `chorus.toml` < `CHORUS_*` environment
//! < command-line flags. The result is passed down explicitly; nothing reads it globally.

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Settings that may come from flags or the environment (clap reads both; flags win).
#[derive(Debug, Args, Clone, Default)]
pub struct Overrides {
    /// Configuration file (default: ./chorus.toml when it exists).
    #[arg(long, env = "CHORUS_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Address the HTTP server listens on.
    #[arg(long, env = "CHORUS_LISTEN", global = true)]
    pub listen: Option<String>,
    /// Where data lives (the SQLite database and attachments).
    #[arg(long, env = "CHORUS_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database: a `postgres://…` URL, or a SQLite file (default: <data_dir>/chorus.db).
    #[arg(long, env = "CHORUS_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Background job workers.
    #[arg(long, env = "CHORUS_WORKERS", global = true)]
    pub workers: Option<usize>,
    /// Largest attachment, in MiB.
    #[arg(long, env = "CHORUS_ATTACHMENT_MAX_MB", global = true)]
    pub attachment_max_mb: Option<u64>,
    /// Largest JSON request body, in KiB.
    #[arg(long, env = "CHORUS_MAX_BODY_KB", global = true)]
    pub max_body_kb: Option<usize>,
    /// SQLite durability: `full` (fsync every commit) or `normal`.
    #[arg(long, env = "CHORUS_SQLITE_DURABILITY", global = true)]
    pub sqlite_durability: Option<String>,
    /// Mark the session cookie Secure (when served over HTTPS).
    #[arg(long, env = "CHORUS_SECURE_COOKIES", global = true)]
    pub secure_cookies: Option<bool>,
    /// Log filter, e.g. `info` or `chorus=debug`.
    #[arg(long, env = "CHORUS_LOG", global = true)]
    pub log: Option<String>,
    /// The address people and integrations reach Chorus at (default: http://<listen>).
    #[arg(long, env = "CHORUS_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
}

/// The same settings as read from `chorus.toml`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    workers: Option<usize>,
    attachment_max_mb: Option<u64>,
    max_body_kb: Option<usize>,
    sqlite_durability: Option<String>,
    secure_cookies: Option<bool>,
    log: Option<String>,
    public_url: Option<String>,
}

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub workers: usize,
    pub attachment_max_bytes: u64,
    pub max_body_bytes: usize,
    pub durability: store::Durability,
    pub secure_cookies: bool,
    pub log: String,
    pub public_url: String,
}

impl Config {
    /// Resolves the settings: flags and environment first, then the file, then defaults.
    pub fn load(o: &Overrides) -> Result<Config> {
        let file = read_file(o.config.as_deref())?;
        let data_dir = o.data_dir.clone().or(file.data_dir).unwrap_or_else(|| PathBuf::from("chorus-data"));
        let database_url = o
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| data_dir.join("chorus.db").to_string_lossy().into_owned());
        let durability = match o.sqlite_durability.clone().or(file.sqlite_durability).as_deref().unwrap_or("full") {
            "full" => store::Durability::Full,
            "normal" => store::Durability::Normal,
            other => bail!("sqlite_durability: {other:?} is not `full` or `normal`"),
        };
        let workers = o.workers.or(file.workers).unwrap_or(2);
        if workers == 0 || workers > 64 {
            bail!("workers: must be between 1 and 64");
        }
        let attachment_mb = o.attachment_max_mb.or(file.attachment_max_mb).unwrap_or(25);
        let body_kb = o.max_body_kb.or(file.max_body_kb).unwrap_or(1024);
        if attachment_mb == 0 || body_kb == 0 {
            bail!("attachment_max_mb and max_body_kb must be at least 1");
        }
        let listen = o.listen.clone().or(file.listen).unwrap_or_else(|| "127.0.0.1:8080".into());
        let public_url = o.public_url.clone().or(file.public_url).unwrap_or_else(|| format!("http://{listen}"));
        Ok(Config {
            public_url: public_url.trim_end_matches('/').to_string(),
            listen,
            data_dir,
            database_url,
            workers,
            attachment_max_bytes: attachment_mb * 1024 * 1024,
            max_body_bytes: body_kb * 1024,
            durability,
            secure_cookies: o.secure_cookies.or(file.secure_cookies).unwrap_or(false),
            log: o.log.clone().or(file.log).unwrap_or_else(|| "info".into()),
        })
    }
}

fn read_file(explicit: Option<&Path>) -> Result<FileConfig> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None if Path::new("chorus.toml").exists() => PathBuf::from("chorus.toml"),
        None => return Ok(FileConfig::default()),
    };
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("{} is not a valid Chorus configuration", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_which_beats_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("chorus.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nworkers = 4\n").unwrap();
        let o = Overrides { config: Some(file.clone()), workers: Some(3), ..Default::default() };
        let c = Config::load(&o).unwrap();
        assert_eq!((c.listen.as_str(), c.workers), ("0.0.0.0:9000", 3));
        assert!(c.database_url.ends_with("chorus.db"));
        std::fs::write(&file, "listen = 1\n").unwrap();
        assert!(Config::load(&o).is_err());
        std::fs::write(&file, "colour = \"red\"\n").unwrap();
        let err = format!("{:#}", Config::load(&o).unwrap_err());
        assert!(err.contains("colour"), "{err}");
    }
}
