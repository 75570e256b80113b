//! HTML from customers and agents is sanitised once, on the way in, so every reader (the
//! agent UI, the API, webhooks) gets markup without scripts, handlers or styles.

/// Cleans untrusted HTML: no scripts, event handlers, styles or forms; links open safely.
pub(crate) fn clean_html(html: &str) -> String {
    ammonia::Builder::default().link_rel(Some("noopener noreferrer nofollow")).clean(html).to_string()
}

/// The plain text of a message that only came as HTML: tags dropped, entities kept as text.
pub(crate) fn text_from_html(html: &str) -> String {
    let cleaned = ammonia::Builder::empty().clean(html).to_string();
    cleaned
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_are_removed() {
        let out = clean_html(r#"<p onclick="x()">Hi <script>alert(1)</script><a href="https://e.com">l</a></p>"#);
        assert!(!out.contains("script") && !out.contains("onclick"), "{out}");
        assert!(out.contains("noopener"));
        assert_eq!(text_from_html("<b>Tom &amp; Jerry</b>"), "Tom & Jerry");
    }
}
