//! Masking of secrets in what the journal shows.
//!
//! The journal keeps each message's headers and body as they came (masking
//! on the hot path would mean parsing every body) and masks them whenever
//! they are read or serialized (see `core::journal::Message`). So the
//! dashboard and the JSON export never show tokens, passwords, signatures or
//! card data in clear, though the journal in memory holds them. What stays is
//! enough to tell two values apart (the last four characters of a long token,
//! the first six and last four digits of a card number).

/// Header names (lowercase) whose values are secrets.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "authorizationjwt",
    "proxy-authorization",
    "sign",
    "signature",
    "cookie",
    "set-cookie",
    "key",
    "x-api-key",
];

/// Body field names (compared in lowercase) whose values are secrets.
const SECRET_FIELDS: &[&str] = &[
    "password",
    "token",
    "refresh_token",
    "hash",
    "purchasehash",
    "sign",
    "signature",
    "secret",
    "secretkey",
    "signsecretkey",
    "cvv",
    "cvc",
    "cvv2",
    "applepaydata",
    "androidpaydata",
];

/// Body field names (lowercase) that carry a card number.
const CARD_FIELDS: &[&str] = &["pan", "card_number", "cardnumber"];

pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(name))
}

fn is_card_field(name: &str) -> bool {
    CARD_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(name))
}

/// `****` plus the last four characters when the value is long enough for
/// that to reveal nothing useful, otherwise just `****`.
pub fn mask_value(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() >= 16 {
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("****{tail}")
    } else {
        "****".to_owned()
    }
}

/// A header value with the credential masked but its scheme kept
/// (`Bearer ****ac60`), so the journal still shows how a client authenticated.
pub fn mask_header_value(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, rest)) if scheme.chars().all(|c| c.is_ascii_alphabetic()) => {
            format!("{scheme} {}", mask_value(rest.trim()))
        }
        _ => mask_value(value),
    }
}

/// First six and last four digits of a card number.
pub fn mask_card_number(value: &str) -> String {
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    if digits.len() >= 12 {
        format!("{}******{}", &digits[..6], &digits[digits.len() - 4..])
    } else {
        mask_value(value)
    }
}

fn mask_field(name: &str, value: &str) -> Option<String> {
    if is_secret_field(name) {
        Some(mask_value(value))
    } else if is_card_field(name) {
        Some(mask_card_number(value))
    } else {
        None
    }
}

fn mask_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if let serde_json::Value::String(s) = v {
                    if let Some(masked) = mask_field(key, s) {
                        *s = masked;
                    }
                } else if (is_secret_field(key) || is_card_field(key)) && !v.is_null() {
                    *v = serde_json::Value::String("****".to_owned());
                } else {
                    mask_json(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_json),
        _ => {}
    }
}

fn mask_form(body: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(body).ok()?;
    let masked: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(k, v)| {
            let v = mask_field(&k, &v).unwrap_or(v);
            (k, v)
        })
        .collect();
    serde_urlencoded::to_string(masked).ok()
}

fn mask_xml(body: &str) -> String {
    // A regex is enough here: the journal only needs the secret elements'
    // text replaced, and a full parse of hostile XML is the parser's job.
    static ELEMENT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?is)<([A-Za-z_][\w.-]*)>([^<]*)</([A-Za-z_][\w.-]*)>").unwrap()
    });
    ELEMENT
        .replace_all(body, |caps: &regex::Captures<'_>| {
            let (open, text, close) = (&caps[1], &caps[2], &caps[3]);
            match mask_field(open, text) {
                Some(masked) if open.eq_ignore_ascii_case(close) => {
                    format!("<{open}>{masked}</{close}>")
                }
                _ => caps[0].to_owned(),
            }
        })
        .into_owned()
}

/// The body as text fit for the journal: secrets masked in JSON, form and XML
/// bodies; anything else (or anything unparsable) kept as lossy UTF-8.
pub fn mask_body(content_type: Option<&str>, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let trimmed = text.trim_start();
    if ct.contains("json") || trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&text) {
            mask_json(&mut value);
            return value.to_string();
        }
    }
    if ct.contains("x-www-form-urlencoded") {
        if let Some(masked) = mask_form(&text) {
            return masked;
        }
    }
    if ct.contains("xml") || trimmed.starts_with('<') {
        return mask_xml(&text);
    }
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_keep_their_scheme_and_lose_their_value() {
        assert_eq!(
            mask_header_value("Bearer 9d97820c61424eb6ac0db414ccb7ac60"),
            "Bearer ****ac60"
        );
        assert_eq!(mask_header_value("Bearer sandbox-token"), "Bearer ****");
    }

    #[test]
    fn json_secrets_and_card_numbers_are_masked_at_any_depth() {
        let body = br#"{"username":"sandbox","password":"sandbox","card":{"card_number":"4111111111111111","cvc":"123"}}"#;
        let masked = mask_body(Some("application/json"), body);
        assert!(!masked.contains("\"sandbox\",\"password\":\"sandbox\""));
        assert!(masked.contains(r#""password":"****""#));
        assert!(masked.contains(r#""card_number":"411111******1111""#));
        assert!(masked.contains(r#""cvc":"****""#));
        assert!(masked.contains(r#""username":"sandbox""#));
    }

    #[test]
    fn form_fields_are_masked_in_any_letter_case() {
        let masked = mask_body(
            Some("application/x-www-form-urlencoded"),
            b"EshopId=450000&Hash=d41d8cd98f00b204e9800998ecf8427e",
        );
        assert_eq!(masked, "EshopId=450000&Hash=****427e");
    }

    #[test]
    fn xml_elements_are_masked() {
        let masked = mask_body(
            Some("application/xml"),
            b"<r><EshopId>1</EshopId><Hash>d41d8cd98f00b204e9800998ecf8427e</Hash></r>",
        );
        assert_eq!(masked, "<r><EshopId>1</EshopId><Hash>****427e</Hash></r>");
    }

    #[test]
    fn other_bodies_are_kept_as_text() {
        assert_eq!(mask_body(Some("text/plain"), b"OK"), "OK");
    }
}
