//! `chorus serve`: the HTTP server, the event relay and the job workers of one node.

use crate::config::Config;
use anyhow::{Context, Result};
use app::{App, Workers};
use domain::{ChannelKind, WorkspaceId};
use std::net::SocketAddr;
use std::sync::Arc;

/// Creates the first workspace and its owner with a random password, and says how to sign in.
pub async fn first_start(app: &App, owner_email: &str) -> Result<WorkspaceId> {
    // A password chosen up front (for automated set-ups), or a random one to change later.
    let password = match std::env::var("CHORUS_OWNER_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            let mut bytes = [0u8; 9];
            getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            store::hex(&bytes)
        }
    };
    let created = app.bootstrap("My support team", owner_email, "Owner", &password).await?;
    let (ws, user) = created.context("a workspace already exists")?;
    println!("Created the workspace {:?} and its owner.", ws.name);
    println!("Sign in as {} with the password {password} — and change it under your profile.", user.email);
    Ok(ws.id)
}

pub async fn run(config: Config, owner_email: &str) -> Result<()> {
    let app = crate::open_app(&config).await?;
    if !app.has_workspaces().await? {
        first_start(&app, owner_email).await?;
    }
    let sender = channels::api::ApiSender::new(std::time::Duration::from_secs(15))?;
    let webhooks = RuleWebhooks(sender.clone());
    let base = config.public_url.clone();
    let api = channels::api::ApiDeliverer::new(sender, move |a| format!("{base}/api/v1/attachments/{}", a.id));
    let workers = Workers::new(app.clone())
        .with_webhooks(Arc::new(webhooks))
        .with_deliverer(ChannelKind::Api, Arc::new(api))
        .with_deliverer(ChannelKind::Email, Arc::new(channels::email::SmtpSender::new()))
        .spawn(config.workers);
    let mut mail_tasks = Vec::new();
    if let Some(addr) = &config.smtp_listen {
        mail_tasks.push(start_smtp(&app, &config, addr).await?);
    }
    if let Some(interval) = config.imap_poll {
        let poller = channels::email::ImapPoller::new(app.clone(), interval).context("starting the IMAP poller")?;
        mail_tasks.push(tokio::spawn(poller.run()));
    }
    let web_config = web::WebConfig {
        max_body_bytes: config.max_body_bytes,
        secure_cookies: config.secure_cookies,
        widget: config.widget,
        ..Default::default()
    };
    let router = web::router(web::AppState { app: app.clone(), config: web_config });
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    println!("Chorus is listening on http://{addr} (data in {})", config.data_dir.display());
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown())
        .await
        .context("serving HTTP")?;
    for w in workers.into_iter().chain(mail_tasks) {
        w.abort();
    }
    app.store().close().await;
    Ok(())
}

/// Starts Chorus's own SMTP listener on `addr` and says where it listens.
async fn start_smtp(app: &App, config: &Config, addr: &str) -> Result<tokio::task::JoinHandle<()>> {
    use channels::email::smtp::{SmtpConfig, SmtpListener, tls_config};
    let mut smtp = SmtpConfig::new(config.smtp_hostname.clone());
    smtp.max_message_bytes = config.smtp_max_message_bytes;
    if let Some((cert, key)) = &config.smtp_tls {
        smtp.tls = Some(tls_config(cert, key)?);
    }
    let starttls = if smtp.tls.is_some() { "with STARTTLS" } else { "without TLS" };
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("listening for SMTP on {addr}"))?;
    println!("Receiving mail over SMTP on {} as {} ({starttls})", listener.local_addr()?, smtp.hostname);
    Ok(tokio::spawn(SmtpListener::new(app.clone(), smtp).run(listener)))
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}

/// Automation rules' webhooks, POSTed and signed like the API channel's callbacks.
struct RuleWebhooks(channels::api::ApiSender);

impl app::WebhookPoster for RuleWebhooks {
    fn post<'a>(
        &'a self,
        url: &'a str,
        secret: &'a str,
        body: Vec<u8>,
        delivery_id: &'a str,
    ) -> app::WebhookFuture<'a> {
        Box::pin(async move {
            self.0
                .send(url, secret, body, delivery_id)
                .await
                .map(|_| ())
                .map_err(|e| app::DeliveryError { message: e.message, permanent: e.permanent })
        })
    }
}
