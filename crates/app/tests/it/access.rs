//! Workspaces never see each other's data, roles are enforced, and sign-in works.

use super::ctx;
use app::{Actor, Error, InboxInput};
use domain::{ChannelKind, InboxSettings, Role};

#[tokio::test]
async fn another_workspace_sees_nothing() {
    let t = ctx().await;
    let conv = t.receive("ana@example.com", None, "Secret order 42").await.conversation;
    let (ws2, user2) = t.app.create_workspace("Other Co", "boss@other.test", "Boss", "another password").await.unwrap();
    let other = Actor { workspace_id: ws2.id, user_id: user2.id, role: Role::Owner };
    assert!(matches!(t.app.get_conversation(&other, conv.id).await, Err(Error::NotFound { .. })));
    assert!(matches!(t.app.get_contact(&other, conv.contact_id).await, Err(Error::NotFound { .. })));
    assert!(matches!(t.app.get_inbox(&other, t.inbox.id).await, Err(Error::NotFound { .. })));
    assert!(matches!(t.app.list_messages(&other, conv.id, None, 10).await, Err(Error::NotFound { .. })));
    assert!(matches!(
        t.app.reply(&other, conv.id, app::ReplyInput { text: "x".into(), ..Default::default() }).await,
        Err(Error::NotFound { .. })
    ));
    let foreign = t.app.receive_inbound(ws2.id, t.inbound("ana@example.com", None, "x")).await;
    assert!(matches!(foreign, Err(Error::NotFound { what: "inbox" })), "an inbox of another workspace is not found");
    assert!(t.app.search(&other, "secret", 10).await.unwrap().is_empty());
    assert_eq!(t.app.search(&t.owner, "secret", 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn agents_cannot_administer() {
    let t = ctx().await;
    let agent = t.agent("kai@acme.test", "Kai").await;
    let input = InboxInput { kind: ChannelKind::Api, name: "X".into(), settings: InboxSettings::default() };
    assert!(matches!(t.app.create_inbox(&agent, input).await, Err(Error::Forbidden(_))));
    assert!(matches!(t.app.create_team(&agent, "T", vec![]).await, Err(Error::Forbidden(_))));
    let member = app::MemberInput {
        email: "x@acme.test".into(),
        name: "X".into(),
        password: "password1".into(),
        role: Role::Agent,
    };
    assert!(matches!(t.app.create_member(&agent, member).await, Err(Error::Forbidden(_))));
    assert!(matches!(t.app.update_member(&agent, t.owner.user_id, None, Some(false)).await, Err(Error::Forbidden(_))));
    // Everyone may read.
    assert_eq!(t.app.list_inboxes(&agent).await.unwrap().len(), 1);
}

#[tokio::test]
async fn sign_in_sessions_and_tokens() {
    let t = ctx().await;
    assert!(t.app.bootstrap("Again", "x@y.test", "X", "password1").await.unwrap().is_none(), "bootstrap runs once");
    assert!(matches!(t.app.login("owner@acme.test", "wrong password").await, Err(Error::BadCredentials)));
    assert!(matches!(t.app.login("nobody@acme.test", "whatever1").await, Err(Error::BadCredentials)));
    let login = t.app.login("OWNER@acme.test", "correct horse").await.unwrap();
    assert_eq!(login.actor, t.owner);
    assert_eq!(t.app.authenticate_session(&login.token).await.unwrap(), t.owner);
    t.app.logout(&login.token).await.unwrap();
    assert!(matches!(t.app.authenticate_session(&login.token).await, Err(Error::Unauthenticated)));

    let token = t.app.create_token(&t.owner, "CI script").await.unwrap();
    assert_eq!(t.app.authenticate_token(&token.secret).await.unwrap(), t.owner);
    assert!(t.app.list_tokens(&t.owner).await.unwrap()[0].last_used_at.is_some());
    t.app.revoke_token(&t.owner, token.info.id).await.unwrap();
    assert!(matches!(t.app.authenticate_token(&token.secret).await, Err(Error::Unauthenticated)));

    let kai = t.agent("kai@acme.test", "Kai").await;
    t.app.update_member(&t.owner, kai.user_id, None, Some(false)).await.unwrap();
    assert!(matches!(t.app.login("kai@acme.test", "agent password").await, Err(Error::BadCredentials)), "deactivated");

    t.app.change_password(&t.owner, "correct horse", "battery staple").await.unwrap();
    assert!(t.app.login("owner@acme.test", "battery staple").await.is_ok());
    assert!(matches!(t.app.change_password(&t.owner, "nope", "whatever12").await, Err(Error::Invalid { .. })));
    assert!(matches!(t.app.change_password(&t.owner, "battery staple", "short").await, Err(Error::Invalid { .. })));
}
