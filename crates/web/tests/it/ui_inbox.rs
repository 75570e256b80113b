//! The agent UI's conversation list and conversation page, in process: what they show, what
//! their actions do, and how they answer bad input and strangers.

use crate::harness::{OWNER_EMAIL, TestApi};
use axum::http::{Method, StatusCode};

#[tokio::test]
async fn pages_need_a_session_and_send_strangers_to_sign_in() {
    let api = TestApi::new().await;
    let r = api.get("/inbox?view=mine").anon().send().await.ok(StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login?next=%2Finbox%3Fview%3Dmine");
    // htmx calls are told where to go instead of getting a login page swapped in.
    let r = api.get("/inbox/body").anon().htmx("/inbox?view=all").send().await.ok(StatusCode::OK);
    assert_eq!(r.location(), "/login?next=%2Finbox%3Fview%3Dall");
}

#[tokio::test]
async fn the_inbox_lists_conversations_with_counts_and_first_run_help() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let page = api.get("/inbox").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"id="first-run""#), "a workspace without inboxes shows the first steps");

    let (conv, _) = api.conversation().await;
    let page = api.get("/inbox?view=all&status=open").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(!page.contains(r#"id="first-run""#));
    assert!(page.contains(&format!(r#"data-conversation-id="{conv}""#)), "{page}");
    assert!(page.contains("My parcel never arrived"));
    assert!(page.contains(r#"data-status="open" aria-current="page">Open <span class="count">1</span>"#), "{page}");
    assert!(page.contains("unread-dot"), "a new customer message is unread");
    // Unassigned has it, Mine does not.
    let mine = api.get("/inbox?view=mine").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(!mine.contains(&conv));
    let unassigned = api.get("/inbox/body?view=unassigned").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(unassigned.contains(&conv));
    assert!(unassigned.starts_with(r#"<div id="inbox-body""#), "the live refresh gets a fragment");

    // Opening it clears the unread marker.
    api.get(&format!("/conversations/{conv}")).cookie(&cookie).send().await.ok(StatusCode::OK);
    let page = api.get("/inbox").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(!page.contains("unread-dot"));
}

#[tokio::test]
async fn load_more_pages_by_cursor() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let (inbox, _) = api.api_inbox("Shop").await;
    for n in 0..55 {
        api.inbound(&inbox, &format!("m-{n}"), &format!("c{n}@example.com"), &format!("question {n}"))
            .await
            .ok(StatusCode::CREATED);
    }
    let page = api.get("/inbox").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert_eq!(page.matches("data-row ").count(), 50);
    let start = page.find("/inbox/rows?").expect("a load-more button");
    let href = &page[start..page[start..].find('"').unwrap() + start];
    let more = api.get(&href.replace("&#38;", "&")).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert_eq!(more.matches("data-row ").count(), 5);
    assert!(more.contains("question 0") && !more.contains("load-more\""), "{more}");
}

#[tokio::test]
async fn bad_list_parameters_are_named() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let page = api.get("/inbox?status=closed").cookie(&cookie).send().await.ok(StatusCode::BAD_REQUEST).text();
    assert!(
        page.contains("&#34;closed&#34; is not a valid status") || page.contains("\"closed\" is not a valid status"),
        "{page}"
    );
    assert!(page.contains("request "), "the error page shows the request id");
    api.get("/inbox?team=nope").cookie(&cookie).send().await.ok(StatusCode::BAD_REQUEST);
    api.get("/inbox?cursor=zzz").cookie(&cookie).send().await.ok(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_conversation_page_shows_thread_customer_and_timeline() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let (conv, inbox) = api.conversation().await;
    api.inbound(&inbox, "m-2", "ana@example.com", "<script>alert(1)</script> hello").await.ok(StatusCode::CREATED);
    let page = api.get(&format!("/conversations/{conv}")).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"id="thread""#) && page.contains(r#"data-kind="message" data-direction="inbound""#));
    assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62; hello"), "customer text is escaped");
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains(r#"id="customer""#) && page.contains("ana@example.com"));
    assert!(page.contains(r#"id="contact-timeline""#) && page.contains(r#"aria-current="true""#));
    assert!(page.contains(r#"id="composer""#) && page.contains(r#"id="resolve""#));

    // Not a conversation, or another workspace's: a 404 page, never a 500.
    api.get("/conversations/not-an-id").cookie(&cookie).send().await.ok(StatusCode::NOT_FOUND);
    let other = uuid::Uuid::now_v7();
    api.get(&format!("/conversations/{other}")).cookie(&cookie).send().await.ok(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn replies_notes_and_actions_from_the_page() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let (agent_id, _) = api.member("bruno@example.com", "agent").await;
    let (conv, _) = api.conversation().await;
    let page = format!("/conversations/{conv}");

    // A reply: the composer comes back empty, the thread (out of band) has it as queued.
    let r = api
        .req(Method::POST, &format!("{page}/send"))
        .form(&[("mode", "reply"), ("text", "A replacement is on its way.")])
        .cookie(&cookie)
        .htmx(&page)
        .send()
        .await
        .ok(StatusCode::OK);
    let html = r.text();
    assert!(html.starts_with(r#"<form id="composer""#), "{html}");
    let thread = &html[html.find(r#"<section id="thread""#).expect("the thread")..];
    assert!(thread[..thread.find('>').unwrap()].contains(r#"hx-swap-oob="true""#), "{html}");
    assert!(html.contains("A replacement is on its way.") && html.contains(r#"data-status="queued""#));
    assert!(r.headers["hx-trigger"].to_str().unwrap().contains(&format!("conv:{conv}")), "the draft is cleared");

    // An empty reply keeps the form with the error beside the text.
    let r = api
        .req(Method::POST, &format!("{page}/send"))
        .form(&[("mode", "reply"), ("text", "   ")])
        .cookie(&cookie)
        .htmx(&page)
        .send()
        .await
        .ok(StatusCode::OK);
    assert!(r.text().contains(r#"class="field-error" id="text-error""#), "{}", r.text());

    // A note mentioning Bruno notifies him.
    api.req(Method::POST, &format!("{page}/send"))
        .form(&[("mode", "note"), ("text", "@bruno can you check the courier?")])
        .cookie(&cookie)
        .htmx(&page)
        .send()
        .await
        .ok(StatusCode::OK);
    let bruno = api.session("bruno@example.com").await;
    let list = api.get("/api/v1/notifications").cookie(&bruno).send().await.ok(StatusCode::OK);
    assert_eq!(list.items().len(), 1);

    // Assign to Bruno, label, prioritise, resolve: each answers with the new header.
    let post = |path: &str, fields: Vec<(&'static str, String)>| {
        let fields: Vec<(&str, String)> = fields;
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        api.req(Method::POST, &format!("{page}/{path}")).form(&pairs).cookie(&cookie).htmx(&page)
    };
    let r = post("assign", vec![("assignee", agent_id.clone())]).send().await.ok(StatusCode::OK);
    assert!(r.text().contains(&format!(r#"<option value="{agent_id}" selected>"#)));
    let r = post("labels", vec![("op", "add".into()), ("label", "Shipping".into())]).send().await.ok(StatusCode::OK);
    assert!(r.text().contains("#shipping"));
    post("priority", vec![("priority", "urgent".into())]).send().await.ok(StatusCode::OK);
    let r = post("status", vec![("status", "resolved".into())]).send().await.ok(StatusCode::OK);
    assert!(r.text().contains(r#"id="conversation-status" class="pill status-resolved">resolved"#));
    assert!(r.text().contains(r#"id="reopen""#));
    let conv_json = api.get(&format!("/api/v1/conversations/{conv}")).send().await.ok(StatusCode::OK);
    assert_eq!(
        (conv_json.str("status"), conv_json.str("priority"), conv_json.json["labels"][0].as_str()),
        ("resolved".into(), "urgent".into(), Some("shipping"))
    );

    // Bad values are refused with a notice for #flash; nothing changes.
    let r = post("status", vec![("status", "done".into())]).send().await.ok(StatusCode::BAD_REQUEST);
    assert_eq!(r.headers["hx-retarget"], "#flash");
    assert!(r.text().contains("is not a valid status"));
    post("status", vec![("status", "snoozed".into()), ("until", "2020-01-01T10:00".into()), ("tz_offset", "0".into())])
        .send()
        .await
        .ok(StatusCode::BAD_REQUEST);
    post("assign", vec![("assignee", "someone".into())]).send().await.ok(StatusCode::BAD_REQUEST);

    // Without htmx a form post goes back to the page.
    let r = api
        .req(Method::POST, &format!("{page}/status"))
        .form(&[("status", "open")])
        .cookie(&cookie)
        .send()
        .await
        .ok(StatusCode::SEE_OTHER);
    assert_eq!(r.location(), page);
}

#[tokio::test]
async fn cross_site_form_posts_are_refused() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let (conv, _) = api.conversation().await;
    let r = api
        .req(Method::POST, &format!("/conversations/{conv}/status"))
        .raw("status=resolved", Some("application/x-www-form-urlencoded"))
        .header("sec-fetch-site", "cross-site")
        .cookie(&cookie)
        .send()
        .await
        .ok(StatusCode::FORBIDDEN);
    assert!(r.text().contains("another site"));
    let c = api.get(&format!("/api/v1/conversations/{conv}")).send().await.ok(StatusCode::OK);
    assert_eq!(c.str("status"), "open");
}

#[tokio::test]
async fn the_customer_panel_takes_notes_and_attributes() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let (conv, _) = api.conversation().await;
    let page = format!("/conversations/{conv}");
    let r = api
        .req(Method::POST, &format!("{page}/contact/attributes"))
        .form(&[("key", "plan"), ("value", "Pro")])
        .cookie(&cookie)
        .htmx(&page)
        .send()
        .await
        .ok(StatusCode::OK);
    assert!(r.text().contains("<dt>plan</dt><dd>Pro</dd>"), "{}", r.text());
    let r = api
        .req(Method::POST, &format!("{page}/contact/notes"))
        .form(&[("body", "")])
        .cookie(&cookie)
        .htmx(&page)
        .send()
        .await
        .ok(StatusCode::OK);
    assert!(r.text().contains(r#"id="contact-note-error""#), "{}", r.text());
    let r = api
        .req(Method::POST, &format!("{page}/contact/notes"))
        .form(&[("body", "Out of office until March")])
        .cookie(&cookie)
        .htmx(&page)
        .send()
        .await
        .ok(StatusCode::OK);
    assert!(r.text().contains("Out of office until March"));
}
