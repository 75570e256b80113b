//! Settings › Inboxes for e-mail inboxes: addresses, the SMTP relay and the IMAP mailbox
//! through the form, passwords never shown and kept when left empty, and every problem
//! beside its input with what was typed kept.

use crate::harness::{OWNER_EMAIL, TestApi};
use axum::http::{Method, StatusCode};
use domain::InboxId;
use domain::inbox::Security;

/// Posts a form as the signed-in `cookie`.
async fn post_form(api: &TestApi, cookie: &str, uri: &str, fields: &[(&str, &str)]) -> crate::harness::Resp {
    api.req(Method::POST, uri).form(fields).cookie(cookie).send().await
}

/// A complete new e-mail inbox, with `changes` replacing fields of the same name.
fn email_fields<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("kind", "email"),
        ("name", "Support mail"),
        ("callback_url", ""),
        ("reopen_window_minutes", "60"),
        ("addresses", "Support@Acme.test, help@acme.test\nbilling@acme.test"),
        ("from_name", "Acme Support"),
        ("smtp_host", "smtp.acme.test"),
        ("smtp_port", "2525"),
        ("smtp_security", "starttls"),
        ("smtp_username", "relay-user"),
        ("smtp_password", "smtp-hunter2"),
        ("imap_host", "imap.acme.test"),
        ("imap_port", ""),
        ("imap_security", "tls"),
        ("imap_username", "support@acme.test"),
        ("imap_password", "imap-hunter2"),
        ("imap_folder", ""),
        ("imap_move_to", "Chorus"),
    ];
    for (name, value) in changes {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value,
            None => fields.push((name, value)),
        }
    }
    fields
}

async fn create(api: &TestApi, cookie: &str, fields: &[(&str, &str)]) -> InboxId {
    let made = post_form(api, cookie, "/settings/inboxes", fields).await.ok(StatusCode::SEE_OTHER);
    let id = made.location().trim_start_matches("/settings/inboxes/").trim_end_matches("?saved=1").to_string();
    id.parse().unwrap()
}

#[tokio::test]
async fn an_email_inbox_is_created_shown_and_saved_without_its_passwords() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let id = create(&api, &cookie, &email_fields(&[])).await;

    let inbox = api.app.get_inbox(&api.owner, id).await.unwrap();
    let email = inbox.settings.email.clone().expect("e-mail settings");
    assert_eq!(email.addresses, ["support@acme.test", "help@acme.test", "billing@acme.test"]);
    assert_eq!(email.from_name.as_deref(), Some("Acme Support"));
    let smtp = email.smtp.expect("smtp");
    assert_eq!((smtp.host.as_str(), smtp.port, smtp.security), ("smtp.acme.test", 2525, Security::Starttls));
    assert_eq!((smtp.username.as_deref(), smtp.password.as_deref()), (Some("relay-user"), Some("smtp-hunter2")));
    let imap = email.imap.expect("imap");
    assert_eq!((imap.host.as_str(), imap.port, imap.security), ("imap.acme.test", 993, Security::Tls));
    assert_eq!((imap.username.as_str(), imap.password.as_str()), ("support@acme.test", "imap-hunter2"));
    assert_eq!((imap.folder.as_str(), imap.move_to.as_deref()), ("INBOX", Some("Chorus")));

    let uri = format!("/settings/inboxes/{id}");
    let page = api.get(&uri).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(!page.contains("hunter2"), "a password leaked: {page}");
    assert!(page.contains(&format!("/api/v1/inboxes/{id}/mime")) && page.contains("SMTP listener"), "{page}");
    assert!(page.contains(r#"value="smtp.acme.test""#) && page.contains(r#"value="Chorus""#), "{page}");
    assert!(page.contains(">support@acme.test\nhelp@acme.test\nbilling@acme.test</textarea>"), "{page}");
    assert!(page.contains("leave empty to keep the stored password"), "{page}");
    assert!(page.contains(r#"<option value="starttls" selected>"#), "{page}");

    // Saved again as the page shows it: passwords empty, a new team name.
    let mut fields = email_fields(&[("from_name", "Acme Care"), ("smtp_password", ""), ("imap_password", "")]);
    fields.retain(|(n, _)| *n != "kind");
    fields.push(("status", "active"));
    post_form(&api, &cookie, &uri, &fields).await.ok(StatusCode::SEE_OTHER);
    let email = api.app.get_inbox(&api.owner, id).await.unwrap().settings.email.expect("e-mail settings");
    assert_eq!(email.from_name.as_deref(), Some("Acme Care"));
    assert_eq!(email.smtp.and_then(|s| s.password).as_deref(), Some("smtp-hunter2"));
    assert_eq!(email.imap.map(|i| i.password).as_deref(), Some("imap-hunter2"));

    // Emptying the hosts removes both servers.
    let mut fields = email_fields(&[("smtp_host", ""), ("imap_host", "")]);
    fields.retain(|(n, _)| *n != "kind");
    fields.push(("status", "active"));
    post_form(&api, &cookie, &uri, &fields).await.ok(StatusCode::SEE_OTHER);
    let email = api.app.get_inbox(&api.owner, id).await.unwrap().settings.email.expect("e-mail settings");
    assert_eq!((email.smtp, email.imap), (None, None));
}

#[tokio::test]
async fn a_bad_address_shows_beside_the_addresses_and_keeps_what_was_typed() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let fields = email_fields(&[("addresses", "support@acme.test\nnot an address")]);
    let page = post_form(&api, &cookie, "/settings/inboxes", &fields).await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"class="field-error" id="addresses-error""#), "{page}");
    assert!(page.contains(r#"aria-describedby="addresses-error">support@acme.test"#), "{page}");
    assert!(page.contains(">support@acme.test\nnot an address</textarea>"), "{page}");
    assert!(page.contains(r#"value="smtp.acme.test""#) && page.contains(r#"value="2525""#), "{page}");
    assert!(page.contains(r#"value="Acme Support""#) && page.contains(r#"value="Chorus""#), "{page}");
    assert!(!page.contains("hunter2"), "a password came back: {page}");
    assert!(api.app.list_inboxes(&api.owner).await.unwrap().is_empty());

    let none = email_fields(&[("addresses", " , ")]);
    let page = post_form(&api, &cookie, "/settings/inboxes", &none).await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"id="addresses-error""#) && page.contains("at least one address"), "{page}");
}

#[tokio::test]
async fn a_taken_address_is_a_conflict_beside_the_addresses() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    create(&api, &cookie, &email_fields(&[])).await;
    let fields = email_fields(&[("name", "Second"), ("addresses", "new@acme.test\nhelp@acme.test")]);
    let page = post_form(&api, &cookie, "/settings/inboxes", &fields).await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"id="addresses-error">Another inbox already receives mail"#), "{page}");
    assert!(page.contains(">new@acme.test\nhelp@acme.test</textarea>") && page.contains(r#"value="Second""#));
    assert_eq!(api.app.list_inboxes(&api.owner).await.unwrap().len(), 1);
}

#[tokio::test]
async fn bad_ports_security_and_hosts_show_beside_their_inputs() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    for (changes, input, kept) in [
        (("smtp_port", "smtp"), "smtp_port", r#"value="smtp""#),
        (("imap_port", "70000"), "imap_port", r#"value="70000""#),
        (("imap_security", "ssl"), "imap_security", r#"value="imap.acme.test""#),
        (("smtp_host", "smtp acme"), "smtp_host", r#"value="smtp acme""#),
        (("imap_username", " "), "imap_username", r#"value="imap.acme.test""#),
        (("smtp_security", "ssl"), "smtp_security", r#"value="2525""#),
    ] {
        let page =
            post_form(&api, &cookie, "/settings/inboxes", &email_fields(&[changes])).await.ok(StatusCode::OK).text();
        assert!(page.contains(&format!(r#"class="field-error" id="{input}-error""#)), "{input}: {page}");
        assert!(page.contains(&format!(r#"aria-describedby="{input}-error""#)), "{input}: {page}");
        assert!(page.contains(kept), "{input} kept: {page}");
        assert!(!page.contains("hunter2"), "a password came back: {page}");
    }

    // The same on the inbox page.
    let id = create(&api, &cookie, &email_fields(&[])).await;
    let mut fields = email_fields(&[("smtp_port", "0")]);
    fields.push(("status", "active"));
    let page = post_form(&api, &cookie, &format!("/settings/inboxes/{id}"), &fields).await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"id="smtp_port-error">Enter a port number"#) && page.contains(r#"value="0""#), "{page}");
}

#[tokio::test]
async fn other_kinds_ignore_the_email_part() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let form = api.get("/settings/inboxes").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(form.contains("for e-mail inboxes") && form.contains(r#"name="imap_move_to""#), "{form}");

    let id = create(&api, &cookie, &email_fields(&[("kind", "api"), ("addresses", "nope")])).await;
    let inbox = api.app.get_inbox(&api.owner, id).await.unwrap();
    assert_eq!(inbox.settings.email, None);
    let page = api.get(&format!("/settings/inboxes/{id}")).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(!page.contains(r#"name="addresses""#) && !page.contains("/mime"), "{page}");
}
