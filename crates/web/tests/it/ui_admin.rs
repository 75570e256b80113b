//! The agent UI's settings (inboxes, teams, agents, labels), account and notification pages.

use crate::harness::{OWNER_EMAIL, PASSWORD, TestApi};
use axum::http::{Method, StatusCode};
use serde_json::json;

/// Posts a form as the signed-in `cookie`.
async fn post_form(api: &TestApi, cookie: &str, uri: &str, fields: &[(&str, &str)]) -> crate::harness::Resp {
    api.req(Method::POST, uri).form(fields).cookie(cookie).send().await
}

#[tokio::test]
async fn every_page_renders_for_the_owner() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    for uri in [
        "/settings",
        "/settings/inboxes",
        "/settings/teams",
        "/settings/agents",
        "/settings/labels",
        "/account",
        "/notifications",
        "/contacts",
        "/search",
    ] {
        let page = api.get(uri).cookie(&cookie).send().await.ok(StatusCode::OK).text();
        assert!(page.contains(r#"id="notif-badge""#) && page.contains("</html>"), "{uri}: {page}");
    }
}

#[tokio::test]
async fn agents_get_a_403_page_on_settings() {
    let api = TestApi::new().await;
    api.member("kai@example.com", "agent").await;
    let cookie = api.session("kai@example.com").await;
    for uri in ["/settings", "/settings/inboxes", "/settings/teams", "/settings/agents", "/settings/labels"] {
        let page = api.get(uri).cookie(&cookie).send().await.ok(StatusCode::FORBIDDEN).text();
        assert!(page.contains("Only admins and owners"), "{uri}: {page}");
    }
    post_form(&api, &cookie, "/settings/labels", &[("name", "vip"), ("color", "#ff0000")])
        .await
        .ok(StatusCode::FORBIDDEN);
    assert!(api.app.list_labels(&api.owner).await.unwrap().is_empty());
    let page = api.get("/contacts").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(!page.contains(r#"href="/settings""#), "no settings link for agents");
}

#[tokio::test]
async fn inboxes_are_created_configured_and_show_their_secret() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;

    let bad = post_form(
        &api,
        &cookie,
        "/settings/inboxes",
        &[("kind", "api"), ("name", "Shop API"), ("callback_url", "ftp://nope"), ("reopen_window_minutes", "60")],
    )
    .await
    .ok(StatusCode::OK)
    .text();
    assert!(bad.contains(r#"class="field-error" id="callback_url-error""#), "{bad}");
    assert!(bad.contains(r#"value="ftp://nope""#) && bad.contains(r#"value="Shop API""#));
    let bad = post_form(
        &api,
        &cookie,
        "/settings/inboxes",
        &[("kind", "api"), ("name", "Shop API"), ("callback_url", ""), ("reopen_window_minutes", "soon")],
    )
    .await
    .ok(StatusCode::OK)
    .text();
    assert!(bad.contains(r#"id="reopen_window_minutes-error""#) && bad.contains(r#"value="soon""#), "{bad}");
    let bad = post_form(&api, &cookie, "/settings/inboxes", &[("kind", "api"), ("name", " ")]).await.ok(StatusCode::OK);
    assert!(bad.text().contains(r#"id="name-error""#));

    let made = post_form(
        &api,
        &cookie,
        "/settings/inboxes",
        &[
            ("kind", "api"),
            ("name", "Shop API"),
            ("callback_url", "https://shop.test/hook"),
            ("reopen_window_minutes", "60"),
        ],
    )
    .await
    .ok(StatusCode::SEE_OTHER);
    let inbox = api.app.list_inboxes(&api.owner).await.unwrap().remove(0);
    assert_eq!(made.location(), format!("/settings/inboxes/{}?saved=1", inbox.id));
    assert_eq!(inbox.settings.callback_url.as_deref(), Some("https://shop.test/hook"));
    assert_eq!(inbox.settings.reopen_window_minutes, 60);

    let page = api.get(&made.location()).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(&inbox.id.to_string()) && page.contains(&inbox.secret), "{page}");

    let uri = format!("/settings/inboxes/{}", inbox.id);
    let fields = [("name", "Shop API"), ("callback_url", ""), ("reopen_window_minutes", "0"), ("status", "sunset")];
    post_form(&api, &cookie, &uri, &fields).await.ok(StatusCode::SEE_OTHER);
    let inbox = api.app.get_inbox(&api.owner, inbox.id).await.unwrap();
    assert_eq!((inbox.status.as_str(), inbox.settings.reopen_window_minutes), ("sunset", 0));
    let bad =
        post_form(&api, &cookie, &uri, &[("name", "Shop API"), ("reopen_window_minutes", "-1"), ("status", "sunset")])
            .await
            .ok(StatusCode::OK)
            .text();
    assert!(bad.contains(r#"id="reopen_window_minutes-error""#) && bad.contains(r#"value="-1""#), "{bad}");

    api.get("/settings/inboxes/nope").cookie(&cookie).send().await.ok(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn teams_are_created_renamed_and_deleted() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let (kai, _) = api.member("kai@example.com", "agent").await;

    let bad = post_form(&api, &cookie, "/settings/teams", &[("name", ""), ("members", kai.as_str())])
        .await
        .ok(StatusCode::OK)
        .text();
    assert!(bad.contains(r#"class="field-error" id="name-error""#), "{bad}");
    assert!(bad.contains(&format!(r#"value="{kai}" checked"#)), "the ticked member stays ticked");

    post_form(&api, &cookie, "/settings/teams", &[("name", "Billing"), ("members", kai.as_str())])
        .await
        .ok(StatusCode::SEE_OTHER);
    let team = api.app.list_teams(&api.owner).await.unwrap().remove(0);
    assert_eq!((team.name.as_str(), team.members.len()), ("Billing", 1));
    let list = api.get("/settings/teams").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(list.contains("Billing") && list.contains("kai"), "{list}");

    let uri = format!("/settings/teams/{}", team.id);
    post_form(&api, &cookie, &uri, &[("name", "Billing EU")]).await.ok(StatusCode::SEE_OTHER);
    let team = api.app.get_team(&api.owner, team.id).await.unwrap();
    assert_eq!((team.name.as_str(), team.members.len()), ("Billing EU", 0));
    let page = api.get(&uri).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"value="Billing EU""#));

    post_form(&api, &cookie, &format!("{uri}/delete"), &[]).await.ok(StatusCode::SEE_OTHER);
    assert!(api.app.list_teams(&api.owner).await.unwrap().is_empty());
}

#[tokio::test]
async fn agents_are_added_with_a_temporary_password_and_deactivated() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;

    let bad = post_form(
        &api,
        &cookie,
        "/settings/agents",
        &[("email", "not-an-email"), ("name", "Kai"), ("role", "agent"), ("password", "temporary1")],
    )
    .await
    .ok(StatusCode::OK)
    .text();
    assert!(bad.contains(r#"class="field-error" id="email-error""#), "{bad}");
    assert!(bad.contains(r#"value="not-an-email""#) && bad.contains(r#"value="Kai""#));
    let bad = post_form(
        &api,
        &cookie,
        "/settings/agents",
        &[("email", "kai@example.com"), ("name", "Kai"), ("role", "agent"), ("password", "short")],
    )
    .await
    .ok(StatusCode::OK)
    .text();
    assert!(bad.contains(r#"id="password-error""#), "{bad}");

    let added = post_form(
        &api,
        &cookie,
        "/settings/agents",
        &[("email", "kai@example.com"), ("name", "Kai"), ("role", "agent"), ("password", "temporary1")],
    )
    .await
    .ok(StatusCode::SEE_OTHER);
    let page = api.get(&added.location()).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains("Added kai@example.com"), "{page}");
    let kai = api.app.login("kai@example.com", "temporary1").await.expect("the new agent signs in").actor;

    let uri = format!("/settings/agents/{}", kai.user_id);
    post_form(&api, &cookie, &format!("{uri}/role"), &[("role", "admin")]).await.ok(StatusCode::SEE_OTHER);
    assert_eq!(api.app.get_member(&api.owner, kai.user_id).await.unwrap().role.as_str(), "admin");
    post_form(&api, &cookie, &format!("{uri}/active"), &[("active", "false")]).await.ok(StatusCode::SEE_OTHER);
    assert!(!api.app.get_member(&api.owner, kai.user_id).await.unwrap().active);
    assert!(api.app.login("kai@example.com", "temporary1").await.is_err());
    post_form(&api, &cookie, &format!("{uri}/active"), &[("active", "true")]).await.ok(StatusCode::SEE_OTHER);
    assert!(api.app.get_member(&api.owner, kai.user_id).await.unwrap().active);

    // A refused change says what failed and leaves the page usable.
    let me = format!("/settings/agents/{}/active", api.owner.user_id);
    let refused = post_form(&api, &cookie, &me, &[("active", "false")]).await.ok(StatusCode::OK).text();
    assert!(refused.contains("cannot deactivate yourself") && refused.contains(r#"id="new-agent""#), "{refused}");
}

#[tokio::test]
async fn labels_are_created_with_a_colour_and_deleted() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let bad = post_form(&api, &cookie, "/settings/labels", &[("name", "VIP"), ("color", "red")])
        .await
        .ok(StatusCode::OK)
        .text();
    assert!(bad.contains(r#"class="field-error" id="color-error""#), "{bad}");
    assert!(bad.contains(r#"value="red""#) && bad.contains(r#"value="VIP""#));

    post_form(&api, &cookie, "/settings/labels", &[("name", "VIP"), ("color", "#FF0000")])
        .await
        .ok(StatusCode::SEE_OTHER);
    let page = api.get("/settings/labels").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"data-label="vip""#) && page.contains("#ff0000"), "{page}");
    let dup = post_form(&api, &cookie, "/settings/labels", &[("name", "vip"), ("color", "#00ff00")])
        .await
        .ok(StatusCode::OK)
        .text();
    assert!(dup.contains(r#"id="name-error""#), "{dup}");

    post_form(&api, &cookie, "/settings/labels/delete", &[("name", "vip")]).await.ok(StatusCode::SEE_OTHER);
    assert!(api.app.list_labels(&api.owner).await.unwrap().is_empty());
    let gone = post_form(&api, &cookie, "/settings/labels/delete", &[("name", "vip")]).await.ok(StatusCode::OK).text();
    assert!(gone.contains("already deleted"));
}

#[tokio::test]
async fn account_changes_the_password_and_manages_tokens() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let page = api.get("/account").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains("Olga Owner") && page.contains(OWNER_EMAIL));

    let wrong = post_form(
        &api,
        &cookie,
        "/account/password",
        &[("current_password", "not it"), ("new_password", "a new password"), ("confirm_password", "a new password")],
    )
    .await
    .ok(StatusCode::OK)
    .text();
    assert!(wrong.contains(r#"class="field-error" id="current_password-error""#), "{wrong}");
    assert!(!wrong.contains("not it"), "passwords are not echoed");
    let mismatch = post_form(
        &api,
        &cookie,
        "/account/password",
        &[("current_password", PASSWORD), ("new_password", "a new password"), ("confirm_password", "another")],
    )
    .await
    .ok(StatusCode::OK)
    .text();
    assert!(mismatch.contains(r#"id="confirm_password-error""#));
    let ok = post_form(
        &api,
        &cookie,
        "/account/password",
        &[("current_password", PASSWORD), ("new_password", "a new password"), ("confirm_password", "a new password")],
    )
    .await
    .ok(StatusCode::SEE_OTHER);
    assert_eq!(ok.location(), "/account?password=changed");
    api.app.login(OWNER_EMAIL, "a new password").await.expect("the new password works");

    let bad = post_form(&api, &cookie, "/account/tokens", &[("name", "")]).await.ok(StatusCode::OK).text();
    assert!(bad.contains(r#"id="token-name-error""#), "{bad}");
    let made =
        post_form(&api, &cookie, "/account/tokens", &[("name", "Nightly export")]).await.ok(StatusCode::OK).text();
    let needle = r#"id="new-token-secret">"#;
    let start = made.find(needle).expect("the secret is shown once") + needle.len();
    let secret: String = made[start..].chars().take_while(|c| *c != '<').collect();
    api.get("/api/v1/me").bearer(&secret).send().await.ok(StatusCode::OK);
    let token =
        api.app.list_tokens(&api.owner).await.unwrap().into_iter().find(|t| t.name == "Nightly export").unwrap();
    post_form(&api, &cookie, &format!("/account/tokens/{}/revoke", token.id), &[]).await.ok(StatusCode::SEE_OTHER);
    api.get("/api/v1/me").bearer(&secret).send().await.ok(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn notifications_list_mark_read_and_the_badge_counts() {
    let api = TestApi::new().await;
    let (conv, _) = api.conversation().await;
    api.member("kai@example.com", "agent").await;
    let cookie = api.session("kai@example.com").await;

    let badge = api.get("/notifications/badge").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert_eq!(
        badge,
        r#"<span class="badge" id="notif-badge" hx-get="/notifications/badge" hx-trigger="sse:notification.created" hx-swap="outerHTML" hidden>0</span>"#
    );

    for text in ["@kai can you check the tracking?", "@kai and another"] {
        api.post(&format!("/api/v1/conversations/{conv}/notes"), json!({"text": text}))
            .send()
            .await
            .ok(StatusCode::CREATED);
    }
    let badge = api.get("/notifications/badge").cookie(&cookie).htmx("/inbox").send().await.ok(StatusCode::OK).text();
    assert_eq!(
        badge,
        r#"<span class="badge" id="notif-badge" hx-get="/notifications/badge" hx-trigger="sse:notification.created" hx-swap="outerHTML" >2</span>"#
    );

    let page = api.get("/notifications").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"<ul id="notifications""#), "{page}");
    assert_eq!(page.matches(r#"class="notification unread""#).count(), 2);
    assert!(page.contains("Olga Owner mentioned you in") && page.contains(&format!(r#"href="/conversations/{conv}""#)));

    let first = page.find("data-notification-id=\"").expect("an id") + 22;
    let id: String = page[first..].chars().take_while(|c| *c != '"').collect();
    let opened = api
        .req(Method::POST, &format!("/notifications/{id}/read"))
        .form(&[("to", conv.as_str())])
        .cookie(&cookie)
        .htmx("/notifications")
        .send()
        .await
        .ok(StatusCode::OK);
    assert_eq!(opened.location(), format!("/conversations/{conv}"));
    let page = api.get("/notifications").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert_eq!(page.matches(r#"class="notification unread""#).count(), 1);

    post_form(&api, &cookie, "/notifications/read-all", &[]).await.ok(StatusCode::SEE_OTHER);
    let page = api.get("/notifications").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert_eq!(page.matches(r#"class="notification unread""#).count(), 0);
    assert_eq!(page.matches(r#"class="notification""#).count(), 2);
    post_form(&api, &cookie, "/notifications/nope/read", &[]).await.ok(StatusCode::NOT_FOUND);
}
