//! Full-text search over message text, conversation subjects and contacts (names,
//! companies, identities), scoped to one workspace inside the index, with highlighted
//! snippets. SQLite uses FTS5, PostgreSQL a tsvector with a GIN index led by workspace_id.
//!
//! Ranking every match of a common word would read them all, so both dialects take the
//! newest 200 matches as candidates, rank those, and return the best.

use crate::terms::KnownTerms;
use crate::{Dialect, Result, StoreError, Tx, run};
use domain::{ConversationId, WorkspaceId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a search hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    /// A message or note.
    Message,
    /// A conversation (its subject).
    Conversation,
    /// A contact.
    Contact,
}

impl SearchKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SearchKind::Message => "message",
            SearchKind::Conversation => "conversation",
            SearchKind::Contact => "contact",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "message" => Ok(SearchKind::Message),
            "conversation" => Ok(SearchKind::Conversation),
            "contact" => Ok(SearchKind::Contact),
            other => Err(StoreError::Corrupt(format!("search document kind {other:?}"))),
        }
    }
}

/// One search result.
#[derive(Debug, Clone)]
pub struct SearchHit {
    /// What was found.
    pub kind: SearchKind,
    /// The id of the message, conversation or contact.
    pub id: Uuid,
    /// The conversation it belongs to (messages and conversations).
    pub conversation_id: Option<ConversationId>,
    /// The matching passage, HTML-escaped, with `<mark>` around the matched words.
    pub snippet: String,
}

/// A document on its way into the SQLite index (see `deferred`).
pub(crate) struct Doc {
    pub(crate) workspace_id: WorkspaceId,
    pub(crate) kind: SearchKind,
    pub(crate) ref_id: Uuid,
    pub(crate) conversation_id: Option<Uuid>,
    /// The workspace's token, indexed beside the body so a match is scoped inside FTS5.
    pub(crate) workspace_token: String,
    pub(crate) body: String,
}

/// The longest word kept in `search_terms`: longer ones are still indexed by FTS5 and found
/// by an exact query, only never offered as a prefix's completion.
const MAX_TERM_BYTES: usize = 64;
/// The most words a query word may expand to; a prefix with more (a word's first letter or
/// two) is left to FTS5's own prefix query.
const MAX_EXPANSION: i64 = 64;

/// The distinct words of `body` as the SQLite index folds them (lower case, diacritics
/// removed), for `search_terms`, but for those `known` holds already.
pub(crate) fn index_terms(body: &str, known: Option<&KnownTerms>) -> Vec<String> {
    let mut word = String::new();
    let mut words = Vec::new();
    for raw in body.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        fold_into(raw, &mut word);
        if !word.is_empty() && word.len() <= MAX_TERM_BYTES && !known.is_some_and(|k| k.contains(&word)) {
            words.push(word.clone());
        }
    }
    words.sort_unstable();
    words.dedup();
    words
}

/// A word as FTS5's `unicode61 remove_diacritics 2` tokenizer stores it, near enough: lower
/// case, with combining marks dropped after canonical decomposition ("Café" → "cafe").
fn fold(word: &str) -> String {
    let mut folded = String::with_capacity(word.len());
    fold_into(word, &mut folded);
    folded
}

/// [`fold`] into `out`, which is emptied first.
fn fold_into(word: &str, out: &mut String) {
    use unicode_normalization::UnicodeNormalization;
    out.clear();
    // Most words are ASCII, which decomposes to itself and has no marks to drop.
    if word.is_ascii() {
        out.extend(word.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        let kept = word.nfd().filter(|c| !unicode_normalization::char::is_combining_mark(*c));
        out.extend(kept.flat_map(char::to_lowercase));
    }
}

/// Marks the start and end of a highlighted word inside the database; private-use
/// characters that indexed text never contains (they are stripped on the way in).
const START: char = '\u{E000}';
const STOP: char = '\u{E001}';
const CANDIDATES: i64 = 200;

/// The words of a query: letters and digits, lower-cased, at most eight.
pub fn query_terms(query: &str) -> Vec<String> {
    query.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(|t| t.to_lowercase()).take(8).collect()
}

fn workspace_token(ws: WorkspaceId) -> String {
    format!("w{}", ws.0.simple())
}

/// HTML-escapes a snippet and turns the markers into `<mark>` tags.
fn highlight(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for ch in raw.chars() {
        match ch {
            START => out.push_str("<mark>"),
            STOP => out.push_str("</mark>"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl Tx {
    /// Indexes (or re-indexes) a document under `ref_id`.
    pub async fn index_document(
        &mut self,
        ws: WorkspaceId,
        kind: SearchKind,
        ref_id: Uuid,
        conversation: Option<ConversationId>,
        body: &str,
    ) -> Result<()> {
        let body: String = match body.contains([START, STOP]) {
            true => body.chars().filter(|c| *c != START && *c != STOP).collect(),
            false => body.to_string(),
        };
        let conv = conversation.map(|c| c.0);
        match self.dialect() {
            Dialect::Sqlite => {
                let doc = Doc {
                    workspace_id: ws,
                    kind,
                    ref_id,
                    conversation_id: conv,
                    workspace_token: workspace_token(ws),
                    body,
                };
                let terms = index_terms(&doc.body, self.known_terms());
                if let Some(deferred) = &mut self.deferred {
                    deferred.index(doc, terms);
                    return Ok(());
                }
                self.write_terms(&terms).await?;
                let q = "INSERT INTO search_docs (workspace_id, kind, ref_id, conversation_id, ws, body) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (ref_id) DO UPDATE SET body = excluded.body, conversation_id = excluded.conversation_id";
                run!(self, |c| sqlx::query(q)
                    .bind(ws.0)
                    .bind(kind.as_str())
                    .bind(ref_id)
                    .bind(conv)
                    .bind(&doc.workspace_token)
                    .bind(&doc.body)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
            }
            Dialect::Postgres => {
                let q = "INSERT INTO search_docs (workspace_id, kind, ref_id, conversation_id, body) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (ref_id) DO UPDATE SET body = excluded.body, conversation_id = excluded.conversation_id";
                run!(self, |c| sqlx::query(q)
                    .bind(ws.0)
                    .bind(kind.as_str())
                    .bind(ref_id)
                    .bind(conv)
                    .bind(&body)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
            }
        }
        Ok(())
    }

    /// Records words in `search_terms` (SQLite), the list a query word's completions are
    /// looked up in. Words are never removed: one whose documents are gone expands to an
    /// exact query that finds nothing.
    pub(crate) async fn write_terms<S: AsRef<str> + serde::Serialize>(&mut self, terms: &[S]) -> Result<()> {
        if terms.is_empty() {
            return Ok(());
        }
        // One JSON array, so the statement has one text whatever the number of words.
        let q = format!(
            "INSERT INTO search_terms (term) SELECT * FROM ({}) WHERE true ON CONFLICT DO NOTHING",
            crate::lists::texts(self.dialect(), 1)
        );
        let words = crate::lists::json(terms)?;
        run!(self, |c| sqlx::query(sqlx::AssertSqlSafe(q.as_str()))
            .bind(&words)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        if let Some(known) = self.known_terms_mut() {
            known.written(terms);
        }
        Ok(())
    }

    /// The indexed words starting with `prefix` (folded), at most [`MAX_EXPANSION`]; `None`
    /// when there are more.
    async fn expand(&mut self, prefix: &str) -> Result<Option<Vec<String>>> {
        let low = fold(prefix);
        // Every UTF-8 string starting with `low` sorts below `low` + U+10FFFF.
        let high = format!("{low}\u{10FFFF}");
        let q = "SELECT term FROM search_terms WHERE term >= $1 AND term < $2 ORDER BY term LIMIT $3";
        let words: Vec<String> =
            run!(self, |c| sqlx::query_scalar(q).bind(&low).bind(&high).bind(MAX_EXPANSION + 1).fetch_all(c).await)?;
        Ok((words.len() as i64 <= MAX_EXPANSION).then_some(words))
    }

    /// Removes a document from the index.
    pub async fn unindex_document(&mut self, ws: WorkspaceId, ref_id: Uuid) -> Result<()> {
        if let Some(deferred) = &mut self.deferred {
            deferred.unindex(ref_id);
        }
        let q = "DELETE FROM search_docs WHERE workspace_id = $1 AND ref_id = $2";
        run!(self, |c| sqlx::query(q).bind(ws.0).bind(ref_id).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The best `limit` hits for `query` in a workspace; every word must match (as a prefix).
    pub async fn search(&mut self, ws: WorkspaceId, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let terms = query_terms(query);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, Uuid, Option<Uuid>, String)> = match self.dialect() {
            Dialect::Sqlite => self.search_sqlite(ws, &terms, limit).await?,
            Dialect::Postgres => {
                let tsquery = terms.iter().map(|t| format!("'{t}':*")).collect::<Vec<_>>().join(" & ");
                let q = format!(
                    "WITH q AS (SELECT to_tsquery('simple', $2) AS q), \
                     c AS (SELECT id, kind, ref_id, conversation_id, body, tsv FROM search_docs, q \
                           WHERE workspace_id = $1 AND tsv @@ q.q ORDER BY id DESC LIMIT {CANDIDATES}) \
                     SELECT kind, ref_id, conversation_id, \
                       ts_headline('simple', body, q.q, 'StartSel={START}, StopSel={STOP}, MaxWords=24, MinWords=8, MaxFragments=1') \
                     FROM c, q ORDER BY ts_rank(tsv, q.q) DESC, id DESC LIMIT $3"
                );
                run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
                    .bind(ws.0)
                    .bind(&tsquery)
                    .bind(limit as i64)
                    .fetch_all(c)
                    .await)?
            }
        };
        rows.into_iter()
            .map(|(kind, id, conv, snippet)| {
                Ok(SearchHit {
                    kind: SearchKind::parse(&kind)?,
                    id,
                    conversation_id: conv.map(ConversationId),
                    snippet: highlight(&snippet),
                })
            })
            .collect()
    }

    async fn search_sqlite(
        &mut self,
        ws: WorkspaceId,
        terms: &[String],
        limit: usize,
    ) -> Result<Vec<(String, Uuid, Option<Uuid>, String)>> {
        // Each query word matches as a prefix. FTS5 answers a prefix query by merging the
        // doclists of every word with that prefix in full before it can return the newest
        // match; an OR of the exact words is read lazily, newest first, and stops at the
        // limit. So a prefix is expanded to its words here, unless it has too many.
        //
        // The workspace's token scopes the match inside FTS5, at the price of a seek into
        // its doclist (which holds every document of the workspace) per match. With one
        // workspace, the usual embedded desk, it filters nothing, so it is left out; the
        // documents read next are still checked for the workspace.
        let q = "SELECT COUNT(*) FROM (SELECT 1 FROM workspaces LIMIT 2)";
        let workspaces: i64 = run!(self, |c| sqlx::query_scalar(q).fetch_one(c).await)?;
        let mut clauses = Vec::with_capacity(terms.len() + 1);
        if workspaces > 1 {
            clauses.push(format!("ws : \"{}\"", workspace_token(ws)));
        }
        for t in terms {
            match self.expand(t).await? {
                Some(words) if words.is_empty() => return Ok(Vec::new()),
                Some(words) => {
                    let any: Vec<String> = words.iter().map(|w| format!("\"{}\"", w.replace('"', "\"\""))).collect();
                    clauses.push(format!("body : ({})", any.join(" OR ")));
                }
                None => clauses.push(format!("body : \"{t}\"*")),
            }
        }
        let expr = clauses.join(" AND ");
        // The newest matches only: FTS5 walks the doclists backwards and stops at the limit.
        // bm25() is left out on purpose: its statistics need every match of every term.
        let q =
            format!("SELECT rowid FROM search_fts WHERE search_fts MATCH $1 ORDER BY rowid DESC LIMIT {CANDIDATES}");
        let candidates: Vec<(i64,)> =
            run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str())).bind(&expr).fetch_all(c).await)?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let rowids = crate::lists::json(&candidates.iter().map(|(r,)| *r).collect::<Vec<_>>())?;
        // Snippets are cut here from the stored text: FTS5's snippet() would evaluate the
        // whole query again, over every match of a common word, to find 200 rows. The rowids
        // are bound as one array: with the numbers written into the text, every search was a
        // statement of its own, prepared and kept in the reader's statement cache.
        let q = "SELECT rowid, kind, ref_id, conversation_id, body FROM search_docs \
                 WHERE rowid IN (SELECT value FROM json_each($2)) AND workspace_id = $1";
        let docs: Vec<(i64, String, Uuid, Option<Uuid>, String)> =
            run!(self, |c| sqlx::query_as(q).bind(ws.0).bind(&rowids).fetch_all(c).await)?;
        let mut rows: Vec<(i64, String, Uuid, Option<Uuid>, String)> = docs
            .into_iter()
            .map(|(rowid, kind, id, conv, body)| (rowid, kind, id, conv, snippet(&body, terms)))
            .collect();
        // Among the candidates: passages where more of the query's words stand close
        // together first, then the newer document.
        rows.sort_by_key(|r| (std::cmp::Reverse(r.4.matches(START).count()), std::cmp::Reverse(r.0)));
        rows.truncate(limit);
        let ordered = rows.into_iter().map(|(_, kind, id, conv, snip)| (kind, id, conv, snip)).collect();
        Ok(ordered)
    }
}

/// Words of context in a snippet.
const SNIPPET_WORDS: usize = 16;

/// A passage of `body` around the first word matching a query term (as a prefix, ignoring
/// case), with every matching word between the START and STOP markers.
fn snippet(body: &str, terms: &[String]) -> String {
    // (start, end) byte offsets of each word.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, ch) in body.char_indices() {
        match (ch.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, body.len()));
    }
    let hit = |w: &(usize, usize)| {
        let word = body[w.0..w.1].to_lowercase();
        terms.iter().any(|t| word.starts_with(t.as_str()))
    };
    let first = words.iter().position(hit).unwrap_or(0);
    let from = first.saturating_sub(4);
    let to = (from + SNIPPET_WORDS).min(words.len());
    let Some(&(begin, _)) = words.get(from) else { return String::new() };
    let end = words.get(to.saturating_sub(1)).map(|w| w.1).unwrap_or(body.len());
    let mut out = String::with_capacity(end - begin + 16);
    if from > 0 {
        out.push('…');
    }
    let mut at = begin;
    for w in &words[from..to] {
        out.push_str(&body[at..w.0]);
        if hit(w) {
            out.push(START);
            out.push_str(&body[w.0..w.1]);
            out.push(STOP);
        } else {
            out.push_str(&body[w.0..w.1]);
        }
        at = w.1;
    }
    if to < words.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_mark_every_matching_word_around_the_first() {
        let terms = vec!["parc".to_string()];
        let s = snippet("Hello, where is my Parcel? The parcel never came.", &terms);
        assert_eq!(s, format!("Hello, where is my {START}Parcel{STOP}? The {START}parcel{STOP} never came"));
        let long = format!("{} order {}", "word ".repeat(30), "tail ".repeat(30));
        let s = snippet(&long, &["order".to_string()]);
        assert!(s.starts_with('…') && s.ends_with('…') && s.contains(&format!("{START}order{STOP}")), "{s}");
        assert_eq!(snippet("", &terms), "");
        assert_eq!(snippet("ünïcode ÜBER", &["über".to_string()]), format!("ünïcode {START}ÜBER{STOP}"));
    }

    #[test]
    fn terms_are_words_only() {
        assert_eq!(query_terms("Refund\" OR *; ordér-42"), vec!["refund", "or", "ordér", "42"]);
        assert!(query_terms("  \"*() ").is_empty());
    }

    #[test]
    fn snippets_are_escaped_and_marked() {
        assert_eq!(highlight("a <b> \u{E000}hit\u{E001} & c"), "a &lt;b&gt; <mark>hit</mark> &amp; c");
    }
}
