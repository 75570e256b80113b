//! The agent UI's contact pages: list and search, the contact page and its forms, merging
//! two contacts, and the search page.

use crate::harness::{OWNER_EMAIL, TestApi};
use axum::http::{Method, StatusCode};
use serde_json::json;

/// Creates a contact through the API and returns its id.
async fn contact(api: &TestApi, name: &str, email: &str) -> String {
    api.post("/api/v1/contacts", json!({"name": name, "identities": [{"kind": "email", "value": email}]}))
        .send()
        .await
        .ok(StatusCode::CREATED)
        .str("id")
}

#[tokio::test]
async fn contacts_list_pages_and_searches_by_name_and_identity() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let ana = contact(&api, "Ana Lima", "ana@example.com").await;
    let bo = contact(&api, "Bo Berg", "bo@shop.test").await;

    let page = api.get("/contacts").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"id="contact-list""#), "{page}");
    assert!(page.contains(r#"id="contact-q""#));
    assert!(
        page.contains(&format!(r#"data-contact-id="{ana}""#)) && page.contains(&format!(r#"data-contact-id="{bo}""#))
    );

    let found = api.get("/contacts?q=lima").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(found.contains(&format!(r#"data-contact-id="{ana}""#)), "{found}");
    assert!(!found.contains(&format!(r#"data-contact-id="{bo}""#)));
    let by_identity = api.get("/contacts?q=shop").cookie(&cookie).htmx("/contacts").send().await.ok(StatusCode::OK);
    let rows = by_identity.text();
    assert!(!rows.contains("<html"), "htmx gets rows only");
    assert!(rows.contains(&format!(r#"data-contact-id="{bo}""#)) && !rows.contains(&ana));
}

#[tokio::test]
async fn contacts_list_loads_more_with_the_cursor() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    for i in 0..51 {
        contact(&api, &format!("Person {i}"), &format!("p{i}@example.com")).await;
    }
    let first = api.get("/contacts").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert_eq!(first.matches("data-contact-id=").count(), 50);
    let start = first.find("/contacts?cursor=").expect("a load-more link");
    let href: String = first[start..].chars().take_while(|c| *c != '"').collect();
    let more = api.get(&href).cookie(&cookie).htmx("/contacts").send().await.ok(StatusCode::OK).text();
    assert_eq!(more.matches("data-contact-id=").count(), 1, "{more}");
    assert!(!more.contains("load-more"));
    api.get("/contacts?cursor=garbage").cookie(&cookie).send().await.ok(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn contact_page_shows_the_record_and_escapes_what_customers_typed() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let (conv, _) = api.conversation().await;
    let evil = contact(&api, "<script>alert(1)</script>", "evil@example.com").await;

    let page = api.get(&format!("/contacts/{evil}")).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(!page.contains("<script>alert(1)</script>"), "the name must be escaped");
    assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{page}");
    assert!(page.contains(r#"id="identities""#) && page.contains("evil@example.com"));
    assert!(page.contains(&format!(r#"id="merge-link" class="button" href="/contacts/{evil}/merge""#)));
    let list = api.get("/contacts").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(!list.contains("<script>alert(1)</script>"));

    // The customer of the conversation: their page links to it.
    let ana = api.get(&format!("/api/v1/conversations/{conv}")).send().await.ok(StatusCode::OK).json["contact_id"]
        .as_str()
        .unwrap()
        .to_string();
    let page = api.get(&format!("/contacts/{ana}")).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(&format!(r#"href="/conversations/{conv}""#)), "{page}");

    api.get("/contacts/not-an-id").cookie(&cookie).send().await.ok(StatusCode::NOT_FOUND);
    api.get(&format!("/contacts/{}", uuid::Uuid::now_v7())).cookie(&cookie).send().await.ok(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn contact_edit_swaps_the_profile_and_keeps_bad_input() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let id = contact(&api, "Ana", "ana@example.com").await;
    let page = format!("/contacts/{id}");

    let r = api
        .req(Method::POST, &format!("/contacts/{id}/edit"))
        .form(&[("name", "Ana Lima"), ("company", "Lima Shoes")])
        .cookie(&cookie)
        .htmx(&page)
        .send()
        .await
        .ok(StatusCode::OK)
        .text();
    assert!(r.contains(r#"id="contact-profile""#) && r.contains("Ana Lima") && r.contains("Lima Shoes"), "{r}");
    assert!(!r.contains("<html"));

    let long = "x".repeat(201);
    let r = api
        .req(Method::POST, &format!("/contacts/{id}/edit"))
        .form(&[("name", long.as_str()), ("company", "Kept Co")])
        .cookie(&cookie)
        .htmx(&page)
        .send()
        .await
        .ok(StatusCode::OK)
        .text();
    assert!(r.contains(r#"class="field-error" id="name-error""#), "{r}");
    assert!(r.contains(&long) && r.contains(r#"value="Kept Co""#));

    // Without htmx: a redirect back to the page, which shows the change.
    let r = api
        .req(Method::POST, &format!("/contacts/{id}/edit"))
        .form(&[("name", "Ana L."), ("company", "")])
        .cookie(&cookie)
        .send()
        .await
        .ok(StatusCode::SEE_OTHER);
    assert_eq!(r.location(), page);
    let shown = api.get(&page).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(shown.contains("<h1 class=\"contact-name\">Ana L.</h1>"), "{shown}");
}

#[tokio::test]
async fn identities_notes_and_attributes_are_added_with_errors_beside_fields() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let id = contact(&api, "Ana", "ana@example.com").await;
    let page = format!("/contacts/{id}");
    let post = |path: &str, fields: &[(&str, &str)]| {
        api.req(Method::POST, &format!("{page}{path}")).form(fields).cookie(&cookie).htmx(&page)
    };

    let r = post("/identities", &[("kind", "email"), ("value", "not-an-email")]).send().await.ok(StatusCode::OK).text();
    assert!(r.contains(r#"class="field-error" id="value-error""#), "{r}");
    assert!(r.contains(r#"value="not-an-email""#));
    let r =
        post("/identities", &[("kind", "phone"), ("value", "+372 555 1234")]).send().await.ok(StatusCode::OK).text();
    assert!(r.contains("+3725551234") && !r.contains("field-error"), "{r}");
    let r = post("/identities/remove", &[("kind", "email"), ("value", "ana@example.com")])
        .send()
        .await
        .ok(StatusCode::OK)
        .text();
    assert!(!r.contains(r#"identity-value">ana@example.com"#) && r.contains("+3725551234"), "{r}");

    let r = post("/notes", &[("body", "  ")]).send().await.ok(StatusCode::OK).text();
    assert!(r.contains(r#"id="body-error""#), "{r}");
    let r = post("/notes", &[("body", "Out of office, answer in March")]).send().await.ok(StatusCode::OK).text();
    assert!(r.contains("Out of office, answer in March") && r.contains("Olga Owner"), "{r}");

    let r = post("/attributes", &[("key", ""), ("value", "gold")]).send().await.ok(StatusCode::OK).text();
    assert!(r.contains(r#"id="key-error""#) && r.contains(r#"value="gold""#), "{r}");
    let r = post("/attributes", &[("key", "plan"), ("value", "gold")]).send().await.ok(StatusCode::OK).text();
    assert!(r.contains("<dt>plan</dt>") && r.contains("gold"), "{r}");

    // The same failure without htmx comes back as the whole page, the input kept.
    let r = api
        .req(Method::POST, &format!("{page}/identities"))
        .form(&[("kind", "email"), ("value", "still@bad")])
        .cookie(&cookie)
        .send()
        .await
        .ok(StatusCode::OK)
        .text();
    assert!(r.contains("<html") && r.contains(r#"id="value-error""#) && r.contains(r#"value="still@bad""#));
}

#[tokio::test]
async fn merge_previews_what_moves_then_merges_and_the_old_id_resolves() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let (conv, _) = api.conversation().await;
    let ana = api.get(&format!("/api/v1/conversations/{conv}")).send().await.ok(StatusCode::OK).json["contact_id"]
        .as_str()
        .unwrap()
        .to_string();
    let keep = contact(&api, "Ana Lima", "ana.lima@work.test").await;
    api.post(&format!("/api/v1/contacts/{ana}/notes"), json!({"body": "Prefers e-mail"}))
        .send()
        .await
        .ok(StatusCode::CREATED);

    let page = api.get(&format!("/contacts/{keep}/merge")).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"id="merge-other""#) && page.contains(r#"id="merge-preview-button""#));
    assert!(!page.contains(r#"id="merge-preview""#));

    // By id, through htmx: the panel with the preview.
    let preview = api
        .get(&format!("/contacts/{keep}/merge/preview?other={ana}"))
        .cookie(&cookie)
        .htmx(&format!("/contacts/{keep}/merge"))
        .send()
        .await
        .ok(StatusCode::OK)
        .text();
    assert!(preview.contains(r#"id="merge-preview""#), "{preview}");
    assert!(preview.contains("ana@example.com"), "identities move: {preview}");
    assert!(
        preview.contains(r#"data-move="conversations"><strong>Conversations:</strong> <span class="count">1</span>"#)
    );
    assert!(preview.contains(r#"data-move="notes"><strong>Notes:</strong> <span class="count">1</span>"#));
    assert!(preview.contains(r#"id="merge-confirm""#));

    // By search text, as a page.
    let by_text = api
        .get(&format!("/contacts/{keep}/merge?other=ana%40example.com"))
        .cookie(&cookie)
        .send()
        .await
        .ok(StatusCode::OK);
    assert!(by_text.text().contains(r#"id="merge-preview""#), "{}", by_text.text());
    let nothing =
        api.get(&format!("/contacts/{keep}/merge?other=zzzz")).cookie(&cookie).send().await.ok(StatusCode::OK);
    assert!(nothing.text().contains(r#"id="other-error""#) && nothing.text().contains(r#"value="zzzz""#));
    let itself =
        api.get(&format!("/contacts/{keep}/merge?other={keep}")).cookie(&cookie).send().await.ok(StatusCode::OK);
    assert!(itself.text().contains(r#"id="other-error""#));

    let done = api
        .req(Method::POST, &format!("/contacts/{keep}/merge"))
        .form(&[("other", ana.as_str())])
        .cookie(&cookie)
        .send()
        .await
        .ok(StatusCode::SEE_OTHER);
    assert_eq!(done.location(), format!("/contacts/{keep}"));
    let kept = api.get(&format!("/contacts/{keep}")).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(kept.contains("ana@example.com") && kept.contains(&format!("/conversations/{conv}")));
    assert!(kept.contains("Prefers e-mail"));

    let old = api.get(&format!("/contacts/{ana}")).cookie(&cookie).send().await.ok(StatusCode::SEE_OTHER);
    assert_eq!(old.location(), format!("/contacts/{keep}"));
}

#[tokio::test]
async fn search_page_labels_hits_and_marks_them() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let (conv, _) = api.conversation().await;
    contact(&api, "Parcel <b>Person</b>", "pp@example.com").await;

    let empty = api.get("/search").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(empty.contains(r#"id="search-q""#) && !empty.contains("search-results"));

    let page = api.get("/search?q=parcel").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"id="search-results""#), "{page}");
    assert!(page.contains(r#"<li class="result" data-kind="message">"#), "{page}");
    assert!(page.contains(r#"<li class="result" data-kind="contact">"#));
    assert!(page.contains("<mark>"), "{page}");
    assert!(page.contains(&format!(r#"href="/conversations/{conv}""#)));
    assert!(!page.contains("<b>Person</b>"), "customer text stays escaped");

    let long = "a".repeat(501);
    let bad = api.get(&format!("/search?q={long}")).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(bad.contains(r#"id="q-error""#), "{bad}");
}
