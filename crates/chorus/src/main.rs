//! `chorus`: the binary. Parses the configuration once, opens the store, and runs a
//! command: `serve` (HTTP API, live events, background workers), `migrate`, `user create`,
//! `inbox list|create|set`, `demo` and `backup`.

mod config;
mod demo;
mod inbox_cli;
mod serve;

use anyhow::{Context, Result, bail};
use app::{Actor, App, AppConfig, SystemClock};
use clap::{Parser, Subcommand};
use config::{Config, Overrides};
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "chorus", version, about = "Chorus, the omnichannel support desk")]
struct Cli {
    #[command(flatten)]
    overrides: Overrides,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: HTTP API, live events and background workers.
    Serve {
        /// E-mail of the owner created on the first start.
        #[arg(long, env = "CHORUS_OWNER_EMAIL", default_value = "owner@example.com")]
        owner_email: String,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage inboxes (channels): list, create, configure.
    Inbox {
        #[command(subcommand)]
        command: inbox_cli::InboxCommand,
    },
    /// Fill a workspace with realistic contacts and conversations on every channel.
    Demo {
        /// How many contacts to create.
        #[arg(long, default_value_t = 200)]
        contacts: usize,
    },
    /// Write a consistent copy of the SQLite database to a new file while Chorus runs.
    Backup {
        /// The file to write (must not exist).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a member to a workspace (password from CHORUS_PASSWORD, or asked for).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// owner, admin or agent.
        #[arg(long, default_value = "agent")]
        role: String,
        /// The workspace id (default: the first workspace).
        #[arg(long)]
        workspace: Option<String>,
    },
}

fn main() -> std::process::ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    let config = match Config::load(&cli.overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("chorus: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logging(&config.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("chorus: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chorus: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}

/// Opens and migrates the store and builds the application.
pub async fn open_app(config: &Config) -> Result<App> {
    // The HTTP client's TLS needs a crypto provider; ring is the one compiled in.
    let _ = rustls::crypto::ring::default_provider().install_default();
    std::fs::create_dir_all(&config.data_dir).with_context(|| format!("creating {}", config.data_dir.display()))?;
    let store = store::Store::open(&config.database_url, config.durability).await.context("opening the database")?;
    store.migrate().await.context("migrating the database")?;
    let mut app_config = AppConfig::new(&config.data_dir);
    app_config.attachment_max_bytes = config.attachment_max_bytes;
    app_config.phrases = Arc::new(web::phrasebook());
    Ok(App::new(store, app_config, Arc::new(SystemClock))?)
}

async fn run(command: Command, config: Config) -> Result<()> {
    match command {
        Command::Serve { owner_email } => serve::run(config, &owner_email).await,
        Command::Migrate => {
            let store =
                store::Store::open(&config.database_url, config.durability).await.context("opening the database")?;
            let applied = store.migrate().await?;
            if applied.is_empty() {
                println!("The database is up to date.");
            } else {
                println!("Applied migrations: {applied:?}");
            }
            Ok(())
        }
        Command::User { command: UserCommand::Create { email, name, role, workspace } } => {
            let app = open_app(&config).await?;
            let role: domain::Role = role.parse()?;
            let ws = match workspace {
                Some(id) => id.parse().map_err(|_| anyhow::anyhow!("--workspace: {id:?} is not a workspace id"))?,
                None => {
                    app.first_workspace().await?.context("there is no workspace yet: run `chorus serve` once first")?
                }
            };
            let password = match std::env::var("CHORUS_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprint!("Password for {email}: ");
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let input = app::MemberInput { email, name, password, role };
            let m = app.create_member(&Actor::system(ws), input).await?;
            println!("Created {} <{}> as {} in workspace {ws}.", m.user.name, m.user.email, m.role);
            Ok(())
        }
        Command::Inbox { command } => {
            let app = open_app(&config).await?;
            inbox_cli::run(&app, command).await
        }
        Command::Demo { contacts } => {
            if contacts == 0 {
                bail!("--contacts: must be at least 1");
            }
            let app = open_app(&config).await?;
            let ws = match app.first_workspace().await? {
                Some(ws) => ws,
                None => serve::first_start(&app, "owner@example.com").await?,
            };
            demo::fill(&app, ws, contacts).await
        }
        Command::Backup { file } => {
            let store =
                store::Store::open(&config.database_url, config.durability).await.context("opening the database")?;
            store.backup_to(&file).await?;
            println!("Wrote a consistent copy to {}.", file.display());
            Ok(())
        }
    }
}

/// Keeps the resident memory of a busy server near what it uses. glibc gives every thread
/// that allocates under contention an arena of its own (up to eight per core), each keeping
/// freed memory for reuse; with SQLite's connection threads, the runtime's workers and the
/// blocking pool that is most of an idle server's memory after a burst. Two arenas are
/// plenty for a two-core machine's worth of contention, and a fixed threshold sends large
/// buffers (a search's doclists, a big attachment) to `mmap`, returned when freed, instead
/// of letting the threshold grow until they stay in the heap.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only sets allocator parameters; it is called first thing in main,
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}
