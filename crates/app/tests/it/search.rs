//! Full-text search with highlighted snippets.

use super::ctx;
use store::SearchKind;

#[tokio::test]
async fn finds_messages_subjects_and_contacts_with_snippets() {
    let t = ctx().await;
    let a = t.receive("ana@example.com", None, "My parcel <b>never</b> arrived at the warehouse").await;
    t.receive("bob@example.com", None, "Invoice question").await;
    t.app
        .update_contact(
            &t.owner,
            a.conversation.contact_id,
            app::ContactPatch { name: Some(Some("Anastasia Parcelova".into())), ..Default::default() },
        )
        .await
        .unwrap();

    let hits = t.app.search(&t.owner, "parcel", 10).await.unwrap();
    let message = hits.iter().find(|h| h.kind == SearchKind::Message).expect("message hit");
    assert_eq!(message.id, a.message.id.0);
    assert_eq!(message.conversation_id, Some(a.conversation.id));
    assert!(message.snippet.contains("<mark>parcel</mark>"), "{}", message.snippet);
    // SQLite keeps the customer's markup as escaped text; PostgreSQL's headline drops tags.
    assert!(!message.snippet.contains("<b>"), "snippet text is never raw markup: {}", message.snippet);
    assert!(hits.iter().any(|h| h.kind == SearchKind::Contact && h.id == a.conversation.contact_id.0));

    let subject = t.app.search(&t.owner, "order quest", 10).await.unwrap();
    assert!(subject.iter().any(|h| h.kind == SearchKind::Conversation), "prefix match on the subject");
    assert!(t.app.search(&t.owner, "\"*(", 10).await.unwrap().is_empty(), "syntax is never passed through");
    assert!(t.app.search(&t.owner, "warehouse invoice", 10).await.unwrap().is_empty(), "every word must match");
}
