//! Tokens: `POST /v1/login_check` issues them; every other endpoint checks
//! them.
//!
//! A token lives 24 hours by the sandbox clock (the fixture's
//! `token_lifetime_hours`); a new token does not revoke older ones; the
//! fixture's static tokens never expire. The token is read from
//! `AuthorizationJWT: Bearer <t>` (the documentation's literal example) or
//! `Authorization: Bearer <t>` (what its parameter table may mean); when both
//! carry a Bearer token, `AuthorizationJWT` is used.

use crate::core::body::RequestBody;
use crate::core::current::State;
use axum::Json;
use axum::http::{HeaderMap, HeaderName, header};
use time::OffsetDateTime;

use super::error::{AuthFailure, ErrorBody, SoftlineError};
use super::scenarios;
use super::validate;
use super::wire::{LoginRequest, LoginResponse};
use crate::core::scenarios::header_of;
use crate::core::store::Store;

/// Tokens issued by `login_check`, with the time each expires. Expired ones
/// are kept so they answer 1009 rather than 1007.
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    issued: Store<String, OffsetDateTime>,
}

impl Tokens {
    pub fn clear(&self) {
        self.issued.clear();
    }

    fn issue(&self, token: String, expires_at: OffsetDateTime) {
        self.issued.insert(token, expires_at);
    }

    fn expiry(&self, token: &str) -> Option<OffsetDateTime> {
        self.issued.get(&token.to_owned())
    }

    /// Every issued token with its expiry, oldest expiry first (a snapshot).
    pub fn all(&self) -> Vec<(String, OffsetDateTime)> {
        let mut all = self.issued.filter_map(|t, at| Some((t.clone(), *at)));
        all.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        all
    }

    /// When `token` expires, if it was issued.
    pub fn expiry_of(&self, token: &String) -> Option<OffsetDateTime> {
        self.issued.get(token)
    }

    /// Adds one token (durable state at start), last used `touched`.
    pub fn replace_one(
        &self,
        token: String,
        expires_at: OffsetDateTime,
        touched: Option<OffsetDateTime>,
    ) {
        match touched {
            Some(at) => self.issued.insert_touched(token, expires_at, at),
            None => self.issued.insert(token, expires_at),
        }
    }

    /// `--retention`: notes when each token is last used.
    pub fn track_touches(&self, source: std::sync::Arc<dyn crate::core::clock::TimeSource>) {
        self.issued.track_touches(source);
    }

    /// `--retention`: forgets the tokens unused since `before`, each handed
    /// to `forgotten`; how many.
    pub fn forget_unused(&self, before: OffsetDateTime, forgotten: impl FnMut(String)) -> usize {
        let mut forgotten = forgotten;
        self.issued
            .forget_untouched(before, |token, _| forgotten(token))
    }

    pub fn track_changes(&self) {
        self.issued.track_changes();
    }

    /// The tokens issued or dropped since the last call.
    pub fn take_changes(&self) -> crate::core::store::Changes<String> {
        self.issued.take_changes()
    }

    /// Exactly these tokens (a snapshot's restore).
    pub fn replace(&self, tokens: Vec<(String, OffsetDateTime)>) {
        self.issued.clear();
        for (token, expires_at) in tokens {
            self.issued.insert(token, expires_at);
        }
    }
}

/// The directory's kind for tokens (the fixture's static ones and those
/// `login_check` issued): a request carrying one finds its workspace.
pub const TOKEN: &str = "softline.token";
/// The directory's kind for `login_check` usernames.
pub const LOGIN: &str = "softline.user";

/// The header names a token may come in, in order of preference.
// Names, not strings: a lookup by a string parses the name first, and this
// runs twice on every call (which workspace, then the check).
const TOKEN_HEADERS: [HeaderName; 2] = [
    HeaderName::from_static("authorizationjwt"),
    header::AUTHORIZATION,
];

/// The Bearer token of a request, if it carries one.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    TOKEN_HEADERS.iter().find_map(|name| {
        let value = headers.get(name)?.to_str().ok()?.trim();
        let (scheme, token) = value.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    })
}

/// Whether `token` may call the API at `now`.
fn check_token(
    state: &super::State,
    token: Option<&str>,
    now: OffsetDateTime,
) -> Result<(), AuthFailure> {
    let token = token.ok_or(AuthFailure::Missing)?;
    if state.fixture.static_tokens.iter().any(|t| t == token) {
        return Ok(());
    }
    match state.tokens.expiry(token) {
        Some(expires_at) if now < expires_at => Ok(()),
        Some(_) => Err(AuthFailure::Expired),
        None => Err(AuthFailure::Invalid),
    }
}

/// The token check of every authenticated endpoint. `field` looks request
/// fields up for scenarios armed with a `match`.
pub fn authenticate(
    state: &super::State,
    headers: &HeaderMap,
    field: &dyn Fn(&str) -> Option<String>,
) -> Result<(), SoftlineError> {
    let forced = state
        .core
        .scenarios
        .forced(scenarios::AUTH, header_of(headers), field)
        .and_then(scenarios::auth_failure);
    let outcome = match forced {
        Some(failure) => Err(failure),
        None => check_token(state, bearer_token(headers), state.core.clock.now()),
    };
    outcome.map_err(SoftlineError::Unauthorized)
}

/// Get a token ([docs](https://docs.softline.ru/ru-ru/checkout/authentication-api-request)).
#[utoipa::path(
    post,
    path = "/v1/login_check",
    tag = "softline",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A token valid for 24 hours", body = LoginResponse),
        (status = 400, description = "110, 111 or 6010 (`username`, `password`)", body = ErrorBody),
        (status = 401, description = "Unknown user or wrong password", body = ErrorBody, example = json!(super::error::SoftlineError::BadCredentials.example())),
    )
)]
pub async fn login_check(
    State(state): State<super::State>,
    headers: HeaderMap,
    RequestBody(body): RequestBody,
) -> Result<Json<LoginResponse>, SoftlineError> {
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
    let object = validate::json_object(content_type, &body, None)?;
    let (username, password) = validate::credentials(&object).map_err(SoftlineError::BadRequest)?;
    let forced = state.core.scenarios.forced(
        scenarios::LOGIN,
        header_of(&headers),
        &scenarios::fields_of_bytes(&body),
    );
    let known = state
        .fixture
        .users
        .iter()
        .any(|u| u.username == username && u.password == password);
    if forced.is_some() || !known {
        return Err(SoftlineError::BadCredentials);
    }
    // Claimed, so requests carrying it find this workspace (a clash with
    // another workspace's token is as likely as guessing it: draw again).
    let token = loop {
        let token = state.core.ids.hex(32);
        if state.core.ids.claims().text(TOKEN, &token) {
            break token;
        }
    };
    let expires_at = state.core.clock.now() + state.fixture.token_lifetime();
    state.tokens.issue(token.clone(), expires_at);
    Ok(Json(LoginResponse {
        token,
        refresh_token: state.core.ids.hex(19),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn the_token_comes_from_either_header_spelling() {
        assert_eq!(
            bearer_token(&headers(&[("authorization", "Bearer abc")])),
            Some("abc")
        );
        assert_eq!(
            bearer_token(&headers(&[("authorizationjwt", "bearer  abc ")])),
            Some("abc")
        );
        assert_eq!(
            bearer_token(&headers(&[
                ("authorization", "Bearer two"),
                ("authorizationjwt", "Bearer one")
            ])),
            Some("one")
        );
        assert_eq!(
            bearer_token(&headers(&[
                ("authorization", "Bearer two"),
                ("authorizationjwt", "Basic xyz")
            ])),
            Some("two")
        );
    }

    #[test]
    fn a_header_without_a_bearer_token_carries_no_token() {
        for value in ["abc", "Bearer", "Bearer   ", "Basic abc", "Token abc"] {
            assert_eq!(
                bearer_token(&headers(&[("authorization", value)])),
                None,
                "{value:?}"
            );
        }
    }
}
