//! Signing in and out of the agent UI.

use super::{UiError, render, safe_next};
use crate::Shared;
use crate::auth::{clear_session_cookie, session_cookie, session_token};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    next: String,
    email: String,
    error: Option<String>,
    css: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub fn routes() -> Router<Shared> {
    Router::new().route("/login", get(page).post(submit)).route("/logout", post(logout))
}

async fn page(Query(q): Query<NextQuery>) -> Result<Response, UiError> {
    render(&LoginPage {
        next: safe_next(q.next.as_deref()),
        email: String::new(),
        error: None,
        css: super::assets::url("app.css"),
    })
}

async fn submit(State(state): State<Shared>, Form(form): Form<LoginForm>) -> Result<Response, UiError> {
    let next = safe_next(form.next.as_deref());
    let again = |error: &str| LoginPage {
        next: next.clone(),
        email: form.email.clone(),
        error: Some(error.into()),
        css: super::assets::url("app.css"),
    };
    if state.login_limiter.attempt(&[format!("email:{}", form.email.trim().to_lowercase())]).is_err() {
        return render(&again("Too many attempts. Wait a minute and try again."));
    }
    match state.app.login(&form.email, &form.password).await {
        Ok(login) => {
            let ttl = (login.expires_at - state.app.now()) / 1000;
            let mut res = Redirect::to(&next).into_response();
            if let Ok(c) = HeaderValue::from_str(&session_cookie(&login.token, ttl, state.config.secure_cookies)) {
                res.headers_mut().insert(header::SET_COOKIE, c);
            }
            Ok(res)
        }
        Err(app::Error::BadCredentials) => render(&again("That e-mail and password do not match an active account.")),
        Err(e) => Err(e.into()),
    }
}

async fn logout(State(state): State<Shared>, headers: HeaderMap) -> Result<Response, UiError> {
    if let Some(token) = session_token(&headers) {
        state.app.logout(token).await?;
    }
    let mut res = Redirect::to("/login").into_response();
    if let Ok(c) = HeaderValue::from_str(&clear_session_cookie(state.config.secure_cookies)) {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(res)
}
