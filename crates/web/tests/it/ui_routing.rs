//! The agent UI's routing: the presence switch, the activity ping, the queue page and
//! Settings › Routing (settings, policies, capacity), with bad input kept in the form.

use crate::harness::{OWNER_EMAIL, TestApi};
use axum::http::{Method, StatusCode};

async fn post_form(api: &TestApi, cookie: &str, uri: &str, fields: &[(&str, &str)]) -> crate::harness::Resp {
    api.req(Method::POST, uri).form(fields).cookie(cookie).send().await
}

#[tokio::test]
async fn the_presence_switch_sets_presence_and_the_queue_page_shows_it() {
    let api = TestApi::new().await;
    let (conv, _) = api.conversation().await;
    api.member("kai@example.com", "agent").await;
    let cookie = api.session("kai@example.com").await;
    let page = api.get("/inbox").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"id="presence-switch""#) && page.contains(r#"data-presence="offline""#), "{page}");
    assert!(page.contains(r#"href="/queue""#));

    let r = post_form(&api, &cookie, "/presence", &[("presence", "online")]).await;
    assert_eq!(r.location(), "/inbox");
    let frag = api
        .req(Method::POST, "/presence")
        .form(&[("presence", "away")])
        .htmx("/inbox")
        .cookie(&cookie)
        .send()
        .await
        .ok(StatusCode::OK)
        .text();
    assert!(frag.contains(r#"data-presence="away""#) && !frag.contains("<html"), "{frag}");
    post_form(&api, &cookie, "/presence", &[("presence", "busy")]).await.ok(StatusCode::BAD_REQUEST);
    post_form(&api, &cookie, "/presence/ping", &[]).await.ok(StatusCode::NO_CONTENT);

    let page = api.get("/queue").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(&format!(r#"data-conversation-id="{conv}""#)), "{page}");
    assert!(page.contains("Shop API") && page.contains("1 waiting"), "{page}");
    assert!(page.contains("kai") && page.contains("away · load 0.0 / 5.0"), "{page}");
    let conv_page = api.get(&format!("/conversations/{conv}")).cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(conv_page.contains("1st in the queue"), "{conv_page}");
    let body = api.get("/queue/body").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(body.contains(r#"id="waiting-table""#) && !body.contains("<html"));
}

#[tokio::test]
async fn routing_settings_are_saved_and_checked_in_the_form() {
    let api = TestApi::new().await;
    let (_, inbox) = api.conversation().await;
    let (kai, _) = api.member("kai@example.com", "agent").await;
    let cookie = api.session(OWNER_EMAIL).await;
    let page = api.get("/settings/routing").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"name="weight_email""#) && page.contains(r#"value="0.2""#), "{page}");

    let mut fields = vec![
        ("weight_api", "0.5"),
        ("weight_email", "0.25"),
        ("weight_widget", "1"),
        ("weight_sms", "0.5"),
        ("weight_whatsapp", "0.5"),
        ("weight_telegram", "0.5"),
        ("weight_messenger", "0.5"),
        ("weight_voice", "1"),
        ("default_max_load", "4"),
        ("idle_after_minutes", "20"),
        ("idle_factor", "0.5"),
        ("auto_away_minutes", ""),
        ("requeue_after_minutes", "10"),
    ];
    let r = post_form(&api, &cookie, "/settings/routing", &fields).await;
    assert_eq!(r.location(), "/settings/routing?saved=1");
    let s = api.app.routing_settings(&api.owner).await.unwrap();
    assert_eq!((s.capacity.weights.email, s.capacity.default_max_load), (0.25, 4.0));
    assert_eq!((s.auto_away_minutes, s.requeue_after_minutes), (None, Some(10)));

    fields[1] = ("weight_email", "12");
    let page = post_form(&api, &cookie, "/settings/routing", &fields).await.ok(StatusCode::OK).text();
    assert!(page.contains("Must be a number from 0 to 10") && page.contains(r#"value="12""#), "{page}");
    fields[1] = ("weight_email", "lots");
    let page = post_form(&api, &cookie, "/settings/routing", &fields).await.ok(StatusCode::OK).text();
    assert!(page.contains("Must be a number"), "{page}");

    let r = post_form(
        &api,
        &cookie,
        "/settings/routing/policy",
        &[("scope", "inbox"), ("id", &inbox), ("policy", "balanced")],
    )
    .await;
    assert_eq!(r.location(), "/settings/routing?saved=1");
    let policies = api.app.assignment_policies(&api.owner).await.unwrap();
    assert_eq!(policies[0].policy, domain::AssignmentPolicy::Balanced);
    post_form(&api, &cookie, "/settings/routing/policy", &[("scope", "inbox"), ("id", &inbox), ("policy", "random")])
        .await
        .ok(StatusCode::BAD_REQUEST);

    let r = post_form(&api, &cookie, "/settings/routing/capacity", &[("user_id", &kai), ("max_load", "2.5")]).await;
    assert_eq!(r.location(), "/settings/routing?saved=1");
    let page = api.get("/settings/routing").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"value="2.5""#), "{page}");
    post_form(&api, &cookie, "/settings/routing/capacity", &[("user_id", &kai), ("max_load", "-3")])
        .await
        .ok(StatusCode::BAD_REQUEST);

    let agent = api.session("kai@example.com").await;
    api.get("/settings/routing").cookie(&agent).send().await.ok(StatusCode::FORBIDDEN);
    post_form(&api, &agent, "/settings/routing/policy", &[("scope", "inbox"), ("id", &inbox), ("policy", "manual")])
        .await
        .ok(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn rules_are_written_and_checked_in_the_settings() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let page = api.get("/settings/rules").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains(r#"id="no-rules""#) && page.contains(r#"id="new-rule""#), "{page}");
    let fields = [
        ("name", "Refunds are urgent"),
        ("enabled", "on"),
        ("position", ""),
        ("trigger", "conversation_created"),
        ("conditions", r#"[{"type": "text_contains", "text": "refund"}]"#),
        ("actions", r#"[{"type": "set_priority", "priority": "urgent"}]"#),
    ];
    let r = post_form(&api, &cookie, "/settings/rules", &fields).await;
    assert_eq!(r.location(), "/settings/rules?saved=1");
    let rules = api.app.list_rules(&api.owner).await.unwrap();
    assert_eq!((rules.len(), rules[0].enabled), (1, true));
    let id = rules[0].id.to_string();

    let mut off = fields;
    off[1] = ("enabled", "");
    let off: Vec<(&str, &str)> = off.into_iter().filter(|(k, v)| !(*k == "enabled" && v.is_empty())).collect();
    post_form(&api, &cookie, &format!("/settings/rules/{id}"), &off).await.location();
    assert!(!api.app.list_rules(&api.owner).await.unwrap()[0].enabled);

    let mut bad = fields;
    bad[5] = ("actions", "[{not json");
    let page = post_form(&api, &cookie, &format!("/settings/rules/{id}"), &bad).await.ok(StatusCode::OK).text();
    assert!(page.contains("Not valid") && page.contains("[{not json"), "{page}");
    bad[5] = ("actions", "[]");
    let page = post_form(&api, &cookie, "/settings/rules", &bad).await.ok(StatusCode::OK).text();
    assert!(page.contains("1 to 20 actions"), "{page}");

    post_form(&api, &cookie, &format!("/settings/rules/{id}/delete"), &[]).await.location();
    assert!(api.app.list_rules(&api.owner).await.unwrap().is_empty());
    api.member("kai@example.com", "agent").await;
    let agent = api.session("kai@example.com").await;
    api.get("/settings/rules").cookie(&agent).send().await.ok(StatusCode::FORBIDDEN);
    post_form(&api, &agent, "/settings/rules", &fields).await.ok(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sla_policies_are_edited_in_the_settings() {
    let api = TestApi::new().await;
    let cookie = api.session(OWNER_EMAIL).await;
    let page = api.get("/settings/sla").cookie(&cookie).send().await.ok(StatusCode::OK).text();
    assert!(page.contains("Standard") && page.contains("default"), "{page}");
    let r = post_form(&api, &cookie, "/settings/sla", &[("name", "Business hours"), ("make_default", "on")]).await;
    assert_eq!(r.location(), "/settings/sla?saved=1");
    let (p, _) = api.app.sla_policies(&api.owner).await.unwrap().into_iter().find(|(_, d)| *d).unwrap();
    assert_eq!(p.name, "Business hours");
    let id = p.id.to_string();
    let calendar = r#"{"kind": "weekly", "time_zone": "Europe/Tallinn", "week": {"mon": ["09:00-17:00"]}}"#;
    let targets = r#"[{"channel": "email", "first_response_minutes": 120}]"#;
    let fields = [
        ("name", "Business hours"),
        ("warn_at", "0.5"),
        ("make_default", "on"),
        ("targets", targets),
        ("calendar", calendar),
    ];
    post_form(&api, &cookie, &format!("/settings/sla/{id}"), &fields).await.location();
    let (p, _) = api.app.sla_policy(&api.owner, p.id).await.unwrap();
    assert_eq!((p.warn_at, p.targets.len(), p.calendar.time_zone()), (0.5, 1, Some("Europe/Tallinn")));
    let bad = [
        ("name", "Business hours"),
        ("warn_at", "2"),
        ("make_default", "on"),
        ("targets", targets),
        ("calendar", calendar),
    ];
    let page = post_form(&api, &cookie, &format!("/settings/sla/{id}"), &bad).await.ok(StatusCode::OK).text();
    assert!(page.contains("fraction between 0 and 1"), "{page}");
    let bad = [
        ("name", "Business hours"),
        ("warn_at", "0.5"),
        ("make_default", "on"),
        ("targets", targets),
        ("calendar", r#"{"kind": "weekly", "time_zone": "Nowhere/Land", "week": {"mon": ["09:00-17:00"]}}"#),
    ];
    let page = post_form(&api, &cookie, &format!("/settings/sla/{id}"), &bad).await.ok(StatusCode::OK).text();
    assert!(page.contains("calendar.time_zone") || page.contains("time zone"), "{page}");
}
