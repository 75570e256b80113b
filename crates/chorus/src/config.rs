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
    /// Address Chorus's own SMTP listener receives mail on, e.g. `0.0.0.0:25` (default: none).
    #[arg(long, env = "CHORUS_SMTP_LISTEN", global = true)]
    pub smtp_listen: Option<String>,
    /// Largest mail the SMTP listener accepts, in MiB.
    #[arg(long, env = "CHORUS_SMTP_MAX_MESSAGE_MB", global = true)]
    pub smtp_max_message_mb: Option<u64>,
    /// PEM certificate chain for the SMTP listener's STARTTLS (with --smtp-tls-key).
    #[arg(long, env = "CHORUS_SMTP_TLS_CERT", global = true)]
    pub smtp_tls_cert: Option<PathBuf>,
    /// PEM private key for the SMTP listener's STARTTLS.
    #[arg(long, env = "CHORUS_SMTP_TLS_KEY", global = true)]
    pub smtp_tls_key: Option<PathBuf>,
    /// The name the SMTP listener greets with (default: the host of the public URL).
    #[arg(long, env = "CHORUS_SMTP_HOSTNAME", global = true)]
    pub smtp_hostname: Option<String>,
    /// How often IMAP mailboxes are polled (servers with IDLE push sooner), in seconds; 0 turns polling off.
    #[arg(long, env = "CHORUS_IMAP_POLL_SECONDS", global = true)]
    pub imap_poll_seconds: Option<u64>,
    /// Chat widget connections allowed per client address each minute.
    #[arg(long, env = "CHORUS_WIDGET_CONNECTS_PER_MINUTE", global = true)]
    pub widget_connects_per_minute: Option<u32>,
    /// Chat widget messages allowed per visitor, and per client address, each minute.
    #[arg(long, env = "CHORUS_WIDGET_MESSAGES_PER_MINUTE", global = true)]
    pub widget_messages_per_minute: Option<u32>,
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
    smtp_listen: Option<String>,
    smtp_max_message_mb: Option<u64>,
    smtp_tls_cert: Option<PathBuf>,
    smtp_tls_key: Option<PathBuf>,
    smtp_hostname: Option<String>,
    imap_poll_seconds: Option<u64>,
    widget_connects_per_minute: Option<u32>,
    widget_messages_per_minute: Option<u32>,
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
    /// Where the SMTP listener listens; None: no listener.
    pub smtp_listen: Option<String>,
    pub smtp_max_message_bytes: usize,
    /// STARTTLS certificate and key (both or neither).
    pub smtp_tls: Option<(PathBuf, PathBuf)>,
    pub smtp_hostname: String,
    /// None: IMAP polling is off.
    pub imap_poll: Option<std::time::Duration>,
    /// The chat widget's rate limits.
    pub widget: web::WidgetLimits,
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
        let smtp_mb = o.smtp_max_message_mb.or(file.smtp_max_message_mb).unwrap_or(25);
        if smtp_mb == 0 || smtp_mb > 1024 {
            bail!("smtp_max_message_mb: must be between 1 and 1024");
        }
        let smtp_tls =
            match (o.smtp_tls_cert.clone().or(file.smtp_tls_cert), o.smtp_tls_key.clone().or(file.smtp_tls_key)) {
                (Some(cert), Some(key)) => Some((cert, key)),
                (None, None) => None,
                _ => bail!("smtp_tls_cert and smtp_tls_key: set both for STARTTLS, or neither"),
            };
        let smtp_hostname = match o.smtp_hostname.clone().or(file.smtp_hostname) {
            Some(h) if h.is_empty() || h.contains(|c: char| c.is_whitespace() || c.is_control()) => {
                bail!("smtp_hostname: {h:?} is not a host name")
            }
            Some(h) => h,
            None => host_of(&public_url),
        };
        let imap_seconds = o.imap_poll_seconds.or(file.imap_poll_seconds).unwrap_or(60);
        let defaults = web::WidgetLimits::default();
        let widget = web::WidgetLimits {
            connects_per_minute: o
                .widget_connects_per_minute
                .or(file.widget_connects_per_minute)
                .unwrap_or(defaults.connects_per_minute),
            messages_per_minute: o
                .widget_messages_per_minute
                .or(file.widget_messages_per_minute)
                .unwrap_or(defaults.messages_per_minute),
        };
        if widget.connects_per_minute == 0 || widget.messages_per_minute == 0 {
            bail!("widget_connects_per_minute and widget_messages_per_minute must be at least 1");
        }
        Ok(Config {
            widget,
            smtp_listen: o.smtp_listen.clone().or(file.smtp_listen).filter(|l| !l.is_empty()),
            smtp_max_message_bytes: (smtp_mb * 1024 * 1024) as usize,
            smtp_tls,
            smtp_hostname,
            imap_poll: (imap_seconds > 0).then(|| std::time::Duration::from_secs(imap_seconds)),
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

/// The host part of a URL (`https://help.acme.test:8443/x` → `help.acme.test`).
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    if host.is_empty() { "localhost".to_string() } else { host.to_string() }
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

    #[test]
    fn email_settings_have_defaults_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("chorus.toml");
        std::fs::write(&file, "public_url = \"https://help.acme.test:8443/\"\nsmtp_listen = \"127.0.0.1:2525\"\n")
            .unwrap();
        let o = Overrides { config: Some(file.clone()), ..Default::default() };
        let c = Config::load(&o).unwrap();
        assert_eq!(c.smtp_listen.as_deref(), Some("127.0.0.1:2525"));
        assert_eq!((c.smtp_hostname.as_str(), c.smtp_max_message_bytes), ("help.acme.test", 25 * 1024 * 1024));
        assert_eq!(c.imap_poll, Some(std::time::Duration::from_secs(60)));
        assert!(c.smtp_tls.is_none());
        let off = Overrides { imap_poll_seconds: Some(0), smtp_hostname: Some("mx.acme.test".into()), ..o.clone() };
        let c = Config::load(&off).unwrap();
        assert_eq!((c.imap_poll, c.smtp_hostname.as_str()), (None, "mx.acme.test"));
        let half = Overrides { smtp_tls_cert: Some("cert.pem".into()), ..o.clone() };
        assert!(format!("{:#}", Config::load(&half).unwrap_err()).contains("smtp_tls_key"));
        assert_eq!(host_of("http://127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_of("http://[::1]:8080/x"), "::1");
    }
}
