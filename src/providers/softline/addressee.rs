//! How a request to Softline names its workspace: the Bearer token it
//! carries, the `username` of a `login_check`, or the order of a hosted
//! form. Anything else belongs to `default`, which answers it as the real
//! API answers a request it cannot place (401, 404).

use axum::http::request::Parts;
use serde::Deserialize;

use super::MOUNT;
use super::auth::{LOGIN, TOKEN, bearer_token};
use crate::provider::Addressee;

/// The sequence `order_id`s are drawn from.
pub const ORDER: &str = "softline.order";

pub fn of_head(request: &Parts) -> Addressee {
    let path = request.uri.path().strip_prefix(MOUNT).unwrap_or_default();
    if let Some(rest) = path.strip_prefix("/order/status/") {
        return rest
            .split('/')
            .next()
            .and_then(|id| id.parse().ok())
            .map_or(Addressee::Nobody, |id| Addressee::Drawn(ORDER, id));
    }
    if path == "/v1/login_check" {
        return Addressee::InBody;
    }
    bearer_token(&request.headers).map_or(Addressee::Nobody, |token| {
        Addressee::Text(TOKEN, token.to_owned())
    })
}

/// The `username` of a `login_check` body; a body that is not the JSON of
/// one names nobody, and `default` answers it with 6010.
pub fn of_body(body: &[u8]) -> Addressee {
    #[derive(Deserialize)]
    struct Login {
        username: Option<String>,
    }
    serde_json::from_slice::<Login>(body)
        .ok()
        .and_then(|login| login.username)
        .map_or(Addressee::Nobody, |username| {
            Addressee::Text(LOGIN, username)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn head(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn an_api_call_is_named_by_its_token_a_form_by_its_order_a_login_by_its_body() {
        assert_eq!(
            of_head(&head(
                "POST",
                "/softline/v1/payment",
                &[("authorization", "Bearer abc")]
            )),
            Addressee::Text(TOKEN, "abc".into())
        );
        assert_eq!(
            of_head(&head("GET", "/softline/order/status/1234/deadbee", &[])),
            Addressee::Drawn(ORDER, 1234)
        );
        assert_eq!(
            of_head(&head("POST", "/softline/v1/login_check", &[])),
            Addressee::InBody
        );
        assert_eq!(
            of_head(&head("GET", "/softline/v1/order/1", &[])),
            Addressee::Nobody
        );
        assert_eq!(
            of_body(br#"{"username": "ci-42", "password": "x"}"#),
            Addressee::Text(LOGIN, "ci-42".into())
        );
        assert_eq!(of_body(b"username=ci-42"), Addressee::Nobody);
    }
}
