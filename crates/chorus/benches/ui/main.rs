//! The agent UI benchmark, on SQLite: the server time of the inbox page and of its
//! live-refresh fragment for a signed-in agent, and the bytes a browser downloads for the
//! first inbox load (page and assets, gzip). The real router serves the UI on a real
//! socket in process. It prints figures beside the targets and never fails on a timing.
//!
//! `cargo bench -p chorus --bench ui` runs it. Settings, from the environment:
//! - `CHORUS_BENCH_SCALE`: open conversations in the workspace; default 100,000.
//!
//! The data set is the core benchmark's, built once under
//! `<target>/bench-data/scale-<N>/` and reused by both benchmarks at the same scale.

// The core benchmark's data set, desk, figures and text.
#[path = "../core/dataset.rs"]
mod dataset;
// `desk` and `text` also hold what only the core benchmark's ingest, search and memory use.
#[allow(dead_code)]
#[path = "../core/desk.rs"]
mod desk;
#[path = "../core/figures.rs"]
mod figures;
#[allow(dead_code)]
#[path = "../core/text.rs"]
mod text;

mod pages;
mod transfer;

use anyhow::{Context, Result};
use figures::{env_count, group, print_summary};
use std::time::Instant;
use store::Durability;

fn main() -> Result<()> {
    // reqwest is built without a default TLS provider; ring is the one compiled in.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let scale = env_count("CHORUS_BENCH_SCALE", 100_000)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(scale))
}

async fn run(scale: usize) -> Result<()> {
    let root = dataset::bench_data_root()?;
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("Chorus UI benchmark — SQLite, {cores} cores");
    println!("data set: {} conversations\n", group(scale));
    let mut rows = Vec::new();
    let mut phases = Vec::new();

    println!("## Data set");
    let started = Instant::now();
    let data = dataset::dataset(&root, scale).await?;
    phases.push(("data set (build or reuse)", started.elapsed()));
    rows.push(data.build_row());

    let app = desk::open_app(&data.dir, Durability::Full).await?;
    let server = desk::serve_in_process(app.clone()).await?;
    let http = desk::http_client()?;
    let cookie = pages::sign_in(&http, &server.base).await?;

    println!(
        "\n## Agent UI on the in-process server, signed in as the owner ({} requests after {} to warm up)",
        group(pages::REQUESTS),
        pages::WARM_UP
    );
    let started = Instant::now();
    pages::page_latencies(&http, &server.base, &cookie, &mut rows).await?;
    phases.push(("page latencies", started.elapsed()));

    println!("\n## First inbox load: page and assets with Accept-Encoding: gzip");
    transfer::first_load(&http, &server.base, &cookie, &mut rows).await?;

    server.task.abort();
    drop(http);
    app.store().close().await;

    println!("\n## Summary ({cores} cores, SQLite, {} conversations)", group(data.marker.conversations as usize));
    print_summary(&rows);
    println!();
    for (phase, took) in phases {
        println!("{phase:>26}: {:.0} s", took.as_secs_f64());
    }
    Ok(())
}
