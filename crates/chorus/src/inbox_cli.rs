//! `chorus inbox …`: list, create and configure inboxes from the command line, with the
//! same settings document as the API (`settings` of `POST /api/v1/inboxes`) — for setting up
//! an e-mail inbox on a server before anyone signs in. Settings come from an argument or a
//! file (`--settings-file`), so passwords need not appear in the process list.

use anyhow::{Context, Result, bail};
use app::{Actor, App, InboxInput, InboxPatch};
use clap::{Args, Subcommand};
use domain::{InboxSettings, WorkspaceId};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum InboxCommand {
    /// List the workspace's inboxes.
    List(Scope),
    /// Create an inbox.
    Create {
        /// api, email, widget, sms, whatsapp, telegram, messenger or voice.
        #[arg(long)]
        kind: String,
        /// Its name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        settings: SettingsArgs,
        #[command(flatten)]
        scope: Scope,
    },
    /// Change an inbox's name, settings or status.
    Set {
        /// The inbox id.
        id: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        /// active, sunset or closed.
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        settings: SettingsArgs,
        #[command(flatten)]
        scope: Scope,
    },
}

#[derive(Args)]
pub struct Scope {
    /// The workspace id (default: the first workspace).
    #[arg(long)]
    workspace: Option<String>,
}

#[derive(Args)]
pub struct SettingsArgs {
    /// The settings as JSON, e.g. '{"email": {"addresses": ["support@acme.example"]}}'.
    #[arg(long, conflicts_with = "settings_file")]
    settings: Option<String>,
    /// A file holding the settings as JSON.
    #[arg(long)]
    settings_file: Option<PathBuf>,
}

impl SettingsArgs {
    fn read(&self) -> Result<Option<InboxSettings>> {
        let text = match (&self.settings, &self.settings_file) {
            (Some(s), _) => s.clone(),
            (None, Some(f)) => std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?,
            (None, None) => return Ok(None),
        };
        let settings = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("--settings: {e}"))?;
        Ok(Some(settings))
    }
}

async fn workspace(app: &App, scope: &Scope) -> Result<WorkspaceId> {
    match &scope.workspace {
        Some(id) => id.parse().map_err(|_| anyhow::anyhow!("--workspace: {id:?} is not a workspace id")),
        None => app.first_workspace().await?.context("there is no workspace yet: run `chorus serve` once first"),
    }
}

fn show(i: &domain::Inbox) {
    let addresses = i.settings.email.as_ref().map(|e| e.addresses.join(", ")).unwrap_or_default();
    println!("{}  {:<9} {:<7} {}  {addresses}", i.id, i.kind, i.status, i.name);
}

pub async fn run(app: &App, command: InboxCommand) -> Result<()> {
    match command {
        InboxCommand::List(scope) => {
            let actor = Actor::system(workspace(app, &scope).await?);
            for i in app.list_inboxes(&actor).await? {
                show(&i);
            }
        }
        InboxCommand::Create { kind, name, settings, scope } => {
            let actor = Actor::system(workspace(app, &scope).await?);
            let kind = kind.parse().map_err(|e| anyhow::anyhow!("--kind: {e}"))?;
            let settings = settings.read()?.unwrap_or_default();
            let inbox = app.create_inbox(&actor, InboxInput { kind, name, settings }).await?;
            println!("Created inbox {} ({}). Its secret for signed posts: {}", inbox.id, inbox.kind, inbox.secret);
        }
        InboxCommand::Set { id, name, status, settings, scope } => {
            let actor = Actor::system(workspace(app, &scope).await?);
            let id = id.parse().map_err(|_| anyhow::anyhow!("{id:?} is not an inbox id"))?;
            let status = status.map(|s| s.parse()).transpose().map_err(|e| anyhow::anyhow!("--status: {e}"))?;
            let settings = settings.read()?;
            if name.is_none() && status.is_none() && settings.is_none() {
                bail!("nothing to change: give --name, --status, --settings or --settings-file");
            }
            let inbox = app.update_inbox(&actor, id, InboxPatch { name, settings, status }).await?;
            show(&inbox);
        }
    }
    Ok(())
}
