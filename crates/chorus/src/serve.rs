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
    let base = config.public_url.clone();
    let api = channels::api::ApiDeliverer::new(sender, move |a| format!("{base}/api/v1/attachments/{}", a.id));
    let workers = Workers::new(app.clone()).with_deliverer(ChannelKind::Api, Arc::new(api)).spawn(config.workers);
    let web_config = web::WebConfig {
        max_body_bytes: config.max_body_bytes,
        secure_cookies: config.secure_cookies,
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
    for w in workers {
        w.abort();
    }
    app.store().close().await;
    Ok(())
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
