//! `303 See Other`, the answer to every form post of the hosted pages
//! (post/redirect/get), with a `Location` that is always a valid header.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A location that cannot be a `Location` header (a control character).
/// Each provider answers it with its own "not found" page.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} cannot be a Location header")]
pub struct InvalidLocation(pub String);

/// `303 See Other` to `location`: a path of this server, or an absolute URL
/// (a merchant's return URL), whose non-ASCII characters are then
/// percent-encoded as a browser would.
pub fn see_other(location: &str) -> Result<Response, InvalidLocation> {
    let encoded = if location.starts_with('/') {
        location.to_owned()
    } else {
        reqwest::Url::parse(location).map_or_else(|_| location.to_owned(), |u| u.to_string())
    };
    HeaderValue::try_from(encoded)
        .map(|value| (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response())
        .map_err(|_| InvalidLocation(location.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(response: &Response) -> &str {
        response.headers()[header::LOCATION].to_str().unwrap()
    }

    #[test]
    fn a_path_is_sent_as_it_is() {
        let response = see_other("/intellectmoney/pay/1").unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/intellectmoney/pay/1");
    }

    #[test]
    fn a_url_with_cyrillic_is_percent_encoded() {
        let response = see_other("https://shop.example/успех?a=б").unwrap();
        assert_eq!(
            location(&response),
            "https://shop.example/%D1%83%D1%81%D0%BF%D0%B5%D1%85?a=%D0%B1"
        );
    }

    #[test]
    fn a_control_character_is_refused_not_panicked_on() {
        assert!(see_other("/pay/1\r\nSet-Cookie: x").is_err());
    }
}
