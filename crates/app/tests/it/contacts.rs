//! Contacts: identities, notes, merging.

use super::ctx;
use domain::IdentityKind;

#[tokio::test]
async fn merge_moves_identities_conversations_and_notes() {
    let t = ctx().await;
    let by_mail = t.receive("ana@example.com", None, "Mail").await;
    let phone_contact = t
        .app
        .create_contact(
            &t.owner,
            app::ContactInput {
                name: Some("Ana".into()),
                company: Some("Shop OÜ".into()),
                attributes: serde_json::json!({"plan": "pro"}).as_object().cloned().unwrap(),
                identities: vec![(IdentityKind::Phone, "+372 5555 1234".into())],
            },
        )
        .await
        .unwrap();
    assert_eq!(phone_contact.identities[0].value, "+37255551234");
    t.app.add_contact_note(&t.owner, by_mail.conversation.contact_id, "Out of office, answer in March").await.unwrap();

    let kept = t.app.merge_contacts(&t.owner, phone_contact.id, by_mail.conversation.contact_id).await.unwrap();
    let values: Vec<&str> = kept.identities.iter().map(|i| i.value.as_str()).collect();
    assert!(values.contains(&"ana@example.com") && values.contains(&"+37255551234"));
    assert_eq!(kept.attributes["plan"], "pro");

    let resolved = t.app.get_contact(&t.owner, by_mail.conversation.contact_id).await.unwrap();
    assert_eq!(resolved.id, kept.id, "the merged-away id keeps resolving");
    let convs = t.app.contact_conversations(&t.owner, kept.id, None, 10).await.unwrap();
    assert_eq!(convs.items.len(), 1);
    let notes = t.app.list_contact_notes(&t.owner, kept.id).await.unwrap();
    assert_eq!(notes[0].body, "Out of office, answer in March");
    let thread = t.app.list_messages(&t.owner, by_mail.conversation.id, None, 10).await.unwrap();
    assert!(thread.items.iter().any(|m| m.text.contains("was merged into Ana")));

    // A new mail from the merged address lands with the surviving contact.
    let again = t.receive("ana@example.com", None, "Me again").await;
    assert_eq!(again.conversation.contact_id, kept.id);
    let list = t.app.list_contacts(&t.owner, None, 10).await.unwrap();
    assert_eq!(list.items.len(), 1, "the merged-away contact is not listed");
    let err = t.app.merge_contacts(&t.owner, kept.id, by_mail.conversation.contact_id).await.unwrap_err();
    assert!(matches!(err, app::Error::Invalid { .. }));
}

#[tokio::test]
async fn identities_are_normalised_and_unique() {
    let t = ctx().await;
    let a = t
        .app
        .create_contact(
            &t.owner,
            app::ContactInput { identities: vec![(IdentityKind::Email, "A@X.COM".into())], ..Default::default() },
        )
        .await
        .unwrap();
    let b = t.app.create_contact(&t.owner, app::ContactInput::default()).await.unwrap();
    let err = t.app.add_identity(&t.owner, b.id, IdentityKind::Email, "a@x.com").await.unwrap_err();
    assert!(matches!(err, app::Error::Conflict { .. }), "{err:?}");
    let err = t.app.add_identity(&t.owner, b.id, IdentityKind::Phone, "12345").await.unwrap_err();
    assert!(matches!(err, app::Error::Invalid { .. }));
    let err = t
        .app
        .create_contact(
            &t.owner,
            app::ContactInput { identities: vec![(IdentityKind::Email, "nope".into())], ..Default::default() },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, app::Error::Invalid { ref field, .. } if field == "identities[0].value"), "{err:?}");
    let a = t.app.remove_identity(&t.owner, a.id, IdentityKind::Email, "a@x.com").await.unwrap();
    assert!(a.identities.is_empty());
    t.app.add_identity(&t.owner, b.id, IdentityKind::Email, "a@x.com").await.unwrap();
    let patched = t
        .app
        .update_contact(&t.owner, b.id, app::ContactPatch { name: Some(Some("Bea".into())), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(patched.name.as_deref(), Some("Bea"));
}

#[tokio::test]
async fn one_attribute_changes_without_touching_the_others() {
    let t = ctx().await;
    let contact = t.receive("ana@example.com", Some("a-1"), "hi").await.conversation.contact_id;
    t.app.set_contact_attribute(&t.owner, contact, " plan ", Some(" Pro ")).await.unwrap();
    t.app.set_contact_attribute(&t.owner, contact, "city", Some("Tartu")).await.unwrap();
    let c = t.app.set_contact_attribute(&t.owner, contact, "plan", None).await.unwrap();
    assert_eq!(c.attributes.len(), 1);
    assert_eq!(c.attributes["city"], "Tartu");
    let err = t.app.set_contact_attribute(&t.owner, contact, "  ", Some("x")).await.unwrap_err();
    assert!(matches!(err, app::Error::Invalid { ref field, .. } if field == "key"), "{err:?}");
}
