//! The bytes a browser downloads for its first inbox load, with an empty cache: the page
//! and every stylesheet, icon and script it links under `/assets/`, each fetched with
//! `Accept-Encoding: gzip` and counted as received. Bodies only: headers are not counted.
//! Sizes are in bytes and KB (10^3 bytes).

use crate::figures::{Row, group};
use crate::pages::{INBOX, fetch};
use anyhow::{Context, Result, bail};

const FIRST_LOAD_TARGET_BYTES: usize = 200_000;

/// Fetches the inbox page and its assets, prints each one's size as sent and uncompressed,
/// and adds the total to the summary.
pub async fn first_load(http: &reqwest::Client, base: &str, cookie: &str, rows: &mut Vec<Row>) -> Result<()> {
    let page = format!("{base}{INBOX}");
    // This client does not decompress, so the links are read from an uncompressed copy.
    let (_, plain) = fetch(http, &page, cookie, false).await?;
    let html = String::from_utf8(plain.body).context("the inbox page is not UTF-8")?;
    let assets = asset_paths(&html);
    if assets.is_empty() {
        bail!("the inbox page links no assets under /assets/");
    }
    let (_, sent) = fetch(http, &page, cookie, true).await?;
    let width = assets.iter().map(|a| a.len()).max().unwrap_or(0).max(INBOX.len());
    println!("{:width$}  {:>8}  {:>9}  {:>12}", "", "sent as", "bytes", "uncompressed");
    println!("{INBOX:width$}  {:>8}  {:>9}  {:>12}", sent.encoding(), group(sent.body.len()), group(html.len()));
    let mut total = sent.body.len();
    for path in &assets {
        let url = format!("{base}{path}");
        let (_, sent) = fetch(http, &url, cookie, true).await?;
        let (_, plain) = fetch(http, &url, cookie, false).await?;
        println!(
            "{path:width$}  {:>8}  {:>9}  {:>12}",
            sent.encoding(),
            group(sent.body.len()),
            group(plain.body.len())
        );
        total += sent.body.len();
    }
    let kb = total as f64 / 1e3;
    println!("total: {} bytes ({kb:.1} KB) in {} responses", group(total), assets.len() + 1);
    rows.push(Row::new(
        "first inbox load, bytes",
        format!("{kb:.1} KB"),
        "< 200 KB",
        Some(total < FIRST_LOAD_TARGET_BYTES),
    ));
    Ok(())
}

/// The `href` of every `<link>` and the `src` of every `<script>` under `/assets/`, in
/// document order, each once.
fn asset_paths(html: &str) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        let attribute = match tag.split_whitespace().next().map(str::to_ascii_lowercase).as_deref() {
            Some("link") => "href",
            Some("script") => "src",
            _ => continue,
        };
        if let Some(value) = attribute_value(tag, attribute)
            && value.starts_with("/assets/")
            && !paths.contains(&value)
        {
            paths.push(value);
        }
    }
    paths
}

/// The value of `name="…"` (or `'…'`) inside a tag, with `&amp;` decoded.
fn attribute_value(tag: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=");
    let mut from = 0;
    while let Some(at) = tag[from..].find(&needle).map(|i| i + from) {
        from = at + needle.len();
        // Only a whole attribute name counts: `data-src=` is not `src=`.
        if !tag[..at].ends_with(char::is_whitespace) {
            continue;
        }
        let value = &tag[from..];
        let quote = value.chars().next()?;
        let raw = if quote == '"' || quote == '\'' {
            let inner = &value[1..];
            &inner[..inner.find(quote)?]
        } else {
            value.split_whitespace().next()?
        };
        return Some(raw.replace("&amp;", "&"));
    }
    None
}
