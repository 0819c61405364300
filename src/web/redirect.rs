//! `303 See Other`, the answer to every form post of the hosted pages
//! (post/redirect/get), with a `Location` that is always a valid header.
//!
//! A merchant's return URL is sent back byte for byte: a merchant that
//! compares the URL it is sent to with the one it gave (or signs it) must
//! find the same one, so nothing is normalised (`https://shop.ru` gains no
//! `/`, a query keeps its order and its encoding). Only what cannot be in a
//! header is changed: a non-ASCII host becomes its punycode (the one ASCII
//! name a host has), other non-ASCII bytes and spaces are percent-encoded.
//! One byte more: a backslash before the query becomes the `/` a browser
//! reads it as, so no client that reads it otherwise (`https://shop.com\@evil`
//! is host `evil` to RFC 3986) is sent to a host the merchant did not give.

use std::fmt::Write;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A location that cannot be a `Location` header (a control character).
/// Each provider answers it with its own "not found" page.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} cannot be a Location header")]
pub struct InvalidLocation(pub String);

/// `303 See Other` to `location`: a path of this server, or an absolute URL
/// (a merchant's return URL), sent as given except that a non-ASCII host is
/// written in punycode and other non-ASCII characters and spaces are
/// percent-encoded, as a browser would; a control character is refused.
pub fn see_other(location: &str) -> Result<Response, InvalidLocation> {
    let invalid = || InvalidLocation(location.to_owned());
    if location.bytes().any(|b| b.is_ascii_control()) {
        return Err(invalid());
    }
    let location = ascii_host(&slashes_as_browsers_read_them(location)).ok_or_else(invalid)?;
    let mut encoded = String::with_capacity(location.len());
    for byte in location.bytes() {
        if byte.is_ascii_graphic() {
            encoded.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    HeaderValue::try_from(encoded)
        .map(|value| (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response())
        .map_err(|_| invalid())
}

/// An absolute URL's backslashes before its query or fragment as `/`, which
/// is how browsers read them in http(s) URLs; the query and fragment as
/// they were.
fn slashes_as_browsers_read_them(location: &str) -> String {
    if !location.contains("://") {
        return location.to_owned();
    }
    let end = location.find(['?', '#']).unwrap_or(location.len());
    let (before, after) = location.split_at(end);
    before.replace('\\', "/") + after
}

/// `location` with its host in punycode if the host is not ASCII, every
/// other byte as it was; `None` for a host that has no punycode.
fn ascii_host(location: &str) -> Option<String> {
    let Some((scheme, rest)) = location.split_once("://") else {
        return Some(location.to_owned());
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let host_end = authority[host_start..]
        .rfind(':')
        .map_or(authority.len(), |colon| host_start + colon);
    let host = &authority[host_start..host_end];
    if host.is_ascii() {
        return Some(location.to_owned());
    }
    // The URL parser knows IDNA; only the host it gives back is taken.
    let parsed = reqwest::Url::parse(&format!("http://{host}/")).ok()?;
    let ascii = parsed.host_str()?;
    Some(format!(
        "{scheme}://{}{ascii}{}{tail}",
        &authority[..host_start],
        &authority[host_end..]
    ))
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
    fn a_url_without_a_path_gets_no_trailing_slash() {
        let response = see_other("https://shop.ru").unwrap();

        assert_eq!(location(&response), "https://shop.ru");
    }

    #[test]
    fn a_query_is_kept_as_the_merchant_wrote_it() {
        let url = "HTTPS://Shop.RU:443/a/../b?z=1&a=%7e&q=x+y&empty=#Top";

        let response = see_other(url).unwrap();

        assert_eq!(location(&response), url);
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
    fn a_cyrillic_host_is_written_in_punycode_and_the_rest_kept() {
        let response = see_other("https://user@магазин.рф:8443/назад?x=%0D%0A").unwrap();

        assert_eq!(
            location(&response),
            "https://user@xn--80aairftm.xn--p1ai:8443/%D0%BD%D0%B0%D0%B7%D0%B0%D0%B4?x=%0D%0A"
        );
    }

    #[test]
    fn a_backslash_before_the_query_is_the_slash_a_browser_reads() {
        let response = see_other("https://shop.com\\@evil.example/x?q=a\\b").unwrap();

        assert_eq!(
            location(&response),
            "https://shop.com/@evil.example/x?q=a\\b"
        );
    }

    #[test]
    fn a_space_is_percent_encoded() {
        let response = see_other("https://shop.ru/thank you").unwrap();

        assert_eq!(location(&response), "https://shop.ru/thank%20you");
    }

    #[test]
    fn a_control_character_is_refused_not_panicked_on() {
        assert!(see_other("/pay/1\r\nSet-Cookie: x").is_err());
        assert!(see_other("https://shop.ru/\u{7f}").is_err());
        assert!(see_other("https://shop.ru/\t").is_err());
    }
}
