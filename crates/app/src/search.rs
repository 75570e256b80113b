//! Search across messages, conversations and contacts of the caller's workspace.

use crate::{Actor, App, Error, Result};
use domain::ConversationId;
use store::SearchKind;
use uuid::Uuid;

/// One search result.
#[derive(Debug, Clone)]
pub struct SearchResult {
    /// What was found.
    pub kind: SearchKind,
    /// The message, conversation or contact id.
    pub id: Uuid,
    /// The conversation to open (messages and conversations).
    pub conversation_id: Option<ConversationId>,
    /// The matching passage, HTML-escaped, with `<mark>` around hits.
    pub snippet: String,
}

impl App {
    /// The best matches for `query` (every word must match, as a prefix).
    pub async fn search(&self, actor: &Actor, query: &str, limit: usize) -> Result<Vec<SearchResult>> {
        if query.len() > 500 {
            return Err(Error::invalid("q", "must be at most 500 bytes"));
        }
        let mut tx = self.store_().read().await?;
        let hits = tx.search(actor.workspace_id, query, limit).await?;
        Ok(hits
            .into_iter()
            .map(|h| SearchResult { kind: h.kind, id: h.id, conversation_id: h.conversation_id, snippet: h.snippet })
            .collect())
    }
}
