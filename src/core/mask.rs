//! Masking of secrets in what the journal shows.
//!
//! The journal keeps each message's headers and body as they came (masking
//! on the hot path would mean parsing every body) and masks them whenever
//! they are read or serialized (see `core::journal::Message`). So the
//! dashboard and the JSON export never show tokens, passwords, signatures or
//! card data in clear, though the journal in memory holds them. What stays is
//! enough to tell two values apart (the last four characters of a long token,
//! the first six and last four digits of a card number).
//!
//! A body is read with `core::params`, the reader IntellectMoney parses its
//! requests with, so the masker never takes a body for another format than
//! the provider did. What that reader cannot read (and any body cut at the
//! journal's limit) is masked by a text scan that fails closed: every run of
//! card-number length is masked whatever it is called, and every value
//! after a secret's name, however the body is shaped around it.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::params::{self, BodyFormat, Reach};

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

/// Body field names (compared in any letter case) whose values are secrets.
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
    "applepaydata",
    "androidpaydata",
    // IMSHOP's API key, when it travels as a body field (a run's
    // `key_placement: body`, a merchant's report to the sync URL).
    "key",
];

/// Body field names (compared in any letter case) of a card's security code.
const CVV_FIELDS: &[&str] = &["cvv", "cvc", "cvv2", "cvc2"];

/// Body field names (compared in any letter case) that carry a card number.
const CARD_FIELDS: &[&str] = &["pan", "card_number", "cardnumber"];

/// What a security code shows as, whatever its length.
pub const MASKED_CVV: &str = "***";

/// Digits a card number has at least, for the text scan (ISO/IEC 7812
/// numbers in use are 13 to 19 digits; longer runs are masked too, since
/// failing closed is the point of the scan).
const CARD_DIGITS_MIN: usize = 13;

pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// `name` without an XML namespace prefix: `im:Pan` is `Pan`.
fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, local)| local)
}

fn is_in(list: &[&str], name: &str) -> bool {
    let name = local(name);
    list.iter().any(|f| f.eq_ignore_ascii_case(name))
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

/// What a field's value shows as, when the field is a secret; empty
/// values stay as they are (there is nothing to hide, and `<Cvv/>` reads
/// better than a mask of nothing).
fn mask_field(name: &str, value: &str) -> Option<String> {
    if value.is_empty() {
        None
    } else if is_in(CARD_FIELDS, name) {
        Some(mask_card_number(value))
    } else if is_in(CVV_FIELDS, name) {
        Some(MASKED_CVV.to_owned())
    } else if is_in(SECRET_FIELDS, name) {
        Some(mask_value(value))
    } else {
        None
    }
}

/// A header value or any other text of no known shape, masked by the scan
/// that fails closed (a signature base such as
/// `450000::3000001::4111111111111111::…` names none of its values, but
/// its card number is a run of card length).
pub fn mask_text(text: &str) -> String {
    if has_nothing_to_mask(text) {
        return text.to_owned();
    }
    scan(text, Kept::Whole)
}

/// Whether a body is all the journal was given, or only its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    Whole,
    /// Cut at the journal's body limit: it will not parse, and its last
    /// value may be a card number's first digits.
    Cut,
}

/// The body as text fit for the journal, secrets masked; a body without
/// secrets comes back as it was written.
pub fn mask_body(body: &[u8], kept: Kept) -> Cow<'_, str> {
    let text = match (std::str::from_utf8(body), kept) {
        (Ok(text), Kept::Whole) => text,
        _ => return Cow::Owned(scan(&String::from_utf8_lossy(body), kept)),
    };
    if has_nothing_to_mask(text) {
        // Borrowed: a journal line serialises it straight from the body.
        return Cow::Borrowed(text);
    }
    Cow::Owned(mask_read(text))
}

/// A whole body masked as the format it reads as.
fn mask_read(text: &str) -> String {
    let mut masks: Vec<(Range<usize>, String)> = Vec::new();
    let read = params::read(text, Reach::Everything, &mut |field| {
        if let Some(masked) = mask_field(&field.name, &field.value) {
            masks.push((field.span, masked));
        }
    });
    match read {
        Ok(format @ (BodyFormat::Json | BodyFormat::Xml)) => splice(text, masks, format),
        // Any text reads as a form (it is the format without a first
        // character of its own), so a form says little about what the
        // body really is: the scan runs over it as well.
        Ok(format) => scan(&splice(text, masks, format), Kept::Whole),
        Err(_) => scan(text, Kept::Whole),
    }
}

/// `text` with each span replaced by its mask, written as that format
/// writes a value. Of overlapping spans (a secret object holding secret
/// members) the outer one wins.
fn splice(text: &str, mut masks: Vec<(Range<usize>, String)>, format: BodyFormat) -> String {
    masks.sort_by_key(|(span, _)| (span.start, std::cmp::Reverse(span.end)));
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for (span, masked) in masks {
        if span.start < done || span.end > text.len() {
            continue;
        }
        out.push_str(&text[done..span.start]);
        match format {
            BodyFormat::Json => out.push_str(&serde_json::Value::String(masked).to_string()),
            BodyFormat::Xml => out.push_str(&xml_escape(&masked)),
            BodyFormat::Form | BodyFormat::Empty => out.push_str(&form_escape(&masked)),
        }
        done = span.end;
    }
    out.push_str(&text[done..]);
    out
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn form_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A secret field's name and what leads to its value, in whatever shape
/// the text is: `"cvv": "`, `cvv=`, `<im:Cvv type="x">`, `<Cvv><![CDATA[`,
/// `cvv='`; then the value (a card number may have blanks, dashes, `+` or
/// `%20` between its groups).
static SECRET_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    let names: Vec<&str> = CARD_FIELDS
        .iter()
        .chain(CVV_FIELDS)
        .chain(SECRET_FIELDS)
        .copied()
        .collect();
    Regex::new(&format!(
        r#"(?i)(?P<head>(?:^|[^a-z0-9_])(?:[a-z_][\w.-]*:)?(?P<name>{})["']?\s*(?:[:=]\s*["']?|(?:\s[^>]*)?>\s*(?:<!\[CDATA\[)?))(?P<value>[\d*](?:[\d* +-]|%20)*[\d*]|[^"'&<\s,;}}\]]*)"#,
        names.join("|")
    ))
    .expect("the secret-value pattern compiles")
});

/// Whether a whole body certainly comes out of the masker as it went in,
/// told by one pass over its bytes instead of parsing it (every journal
/// entry is serialised with `--data-dir`, and parsing each body took a sixth
/// of a request's time there; a pass for runs and an Aho-Corasick search
/// for the names, 2.8 µs for Softline's documented create body, still a
/// tenth; this pass, 1.1 µs).
/// Certainly means: no secret's name where a name starts (as
/// [`SECRET_VALUE`] finds them: after a character that is not a letter, a
/// digit or `_`), no run of card length (as [`DIGIT_RUN`] finds them, and
/// more: a character outside ASCII never ends a run here), and nothing that
/// could spell either in disguise (a JSON `\u` escape, a form's `%`, an XML
/// `&#`; `ſ` and the Kelvin sign, which the patterns take for `s` and `k`).
/// Anything else takes the whole masker.
fn has_nothing_to_mask(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut digits = 0;
    let mut after_separator = false;
    let mut i = 0;
    while i < bytes.len() {
        match CLASS[usize::from(bytes[i])] {
            Class::Letter => {
                if names_a_secret_at(&bytes[i..]) {
                    return false;
                }
                digits = 0;
                after_separator = false;
                // The rest of the word, where no name starts; digits in it
                // still make a run.
                i += 1;
                while let Some(&b) = bytes.get(i) {
                    match CLASS[usize::from(b)] {
                        Class::Letter | Class::Underscore => digits = 0,
                        Class::Digit => {
                            digits += 1;
                            if digits >= CARD_DIGITS_MIN {
                                return false;
                            }
                        }
                        _ => break,
                    }
                    i += 1;
                }
                continue;
            }
            Class::Digit => {
                digits += 1;
                after_separator = false;
                if digits >= CARD_DIGITS_MIN {
                    return false;
                }
            }
            Class::Separator if !after_separator => after_separator = true,
            Class::Disguise => return false,
            Class::Lead => {
                let rest = &bytes[i..];
                if rest.starts_with("ſ".as_bytes()) || rest.starts_with("\u{212A}".as_bytes()) {
                    return false;
                }
            }
            Class::Wide => {}
            Class::Separator | Class::Underscore | Class::Other => {
                digits = 0;
                after_separator = false;
            }
        }
        i += 1;
    }
    true
}

/// What a byte is to [`has_nothing_to_mask`].
#[derive(Clone, Copy)]
enum Class {
    Digit,
    /// What may stand between a card number's groups.
    Separator,
    Letter,
    Underscore,
    /// `\`, `%`, `&`: an escape could spell a name or a digit.
    Disguise,
    /// The first byte of `ſ` or the Kelvin sign (and of much else).
    Lead,
    /// Any other byte outside ASCII: it never ends a run here.
    Wide,
    Other,
}

const CLASS: [Class; 256] = {
    let mut classes = [Class::Other; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        classes[b] = match byte {
            b'0'..=b'9' => Class::Digit,
            b' ' | b'+' | b'-' => Class::Separator,
            b'a'..=b'z' | b'A'..=b'Z' => Class::Letter,
            b'_' => Class::Underscore,
            b'\\' | b'%' | b'&' => Class::Disguise,
            0xC5 | 0xE2 => Class::Lead,
            0x80.. => Class::Wide,
            _ => Class::Other,
        };
        b += 1;
    }
    classes
};

/// Whether `text`, where a word starts, begins with a secret's name in any
/// letter case. Most words are told apart by their first three letters,
/// one bit each in [`NAME_HEADS`].
fn names_a_secret_at(text: &[u8]) -> bool {
    let [a, b, c, ..] = *text else {
        // Every name is three letters or more.
        return false;
    };
    // `| 0x20` lowercases a letter; a non-letter so changed only costs a
    // full comparison below.
    let (a, c) = (a | 0x20, c | 0x20);
    let head = head_bit(a, b | 0x20, c);
    if NAME_HEADS[head / 64] & (1 << (head % 64)) == 0 {
        return false;
    }
    CARD_FIELDS
        .iter()
        .chain(CVV_FIELDS)
        .chain(SECRET_FIELDS)
        .map(|name| name.as_bytes())
        .any(|name| {
            name[0] == a
                && name[2] == c
                && text
                    .get(..name.len())
                    .is_some_and(|start| start.eq_ignore_ascii_case(name))
        })
}

/// A name's first three (lowercase) letters as one of 4096 bits.
const fn head_bit(a: u8, b: u8, c: u8) -> usize {
    (a as usize * 961 + b as usize * 31 + c as usize) % 4096
}

/// The bits of every name's first three letters.
const NAME_HEADS: [u64; 64] = {
    let mut bits = [0u64; 64];
    let lists = [CARD_FIELDS, CVV_FIELDS, SECRET_FIELDS];
    let mut list = 0;
    while list < lists.len() {
        let mut name = 0;
        while name < lists[list].len() {
            let n = lists[list][name].as_bytes();
            let head = head_bit(n[0], n[1], n[2]);
            bits[head / 64] |= 1 << (head % 64);
            name += 1;
        }
        list += 1;
    }
    bits
};

/// A run of digits, groups apart by a blank, a dash, `+` or `%20`.
static DIGIT_RUN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d(?:(?:[ +-]|%20)?\d)*").expect("the digit-run pattern compiles")
});

/// The fail-closed mask of a body nothing could read: every value after a
/// secret's name masked, then every digit run of card length (and, in a
/// body cut at the limit, a run the cut ends: it may be a card number's
/// start).
fn scan(text: &str, kept: Kept) -> String {
    let named = SECRET_VALUE.replace_all(text, |caps: &Captures<'_>| {
        let value = &caps["value"];
        // Already masked (a form's own fields, masked before the scan).
        let masked = if value.contains("**") {
            None
        } else {
            mask_field(&caps["name"], value)
        };
        format!("{}{}", &caps["head"], masked.as_deref().unwrap_or(value))
    });
    let end = named.len();
    DIGIT_RUN
        .replace_all(&named, |caps: &Captures<'_>| {
            let run = caps.get(0).expect("a match has group 0");
            let digits: String = run
                .as_str()
                .replace("%20", "")
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            let cut_short = kept == Kept::Cut && run.end() == end && digits.len() > 6;
            if digits.len() >= CARD_DIGITS_MIN {
                format!("{}******{}", &digits[..6], &digits[digits.len() - 4..])
            } else if cut_short {
                format!("{}******", &digits[..6])
            } else {
                run.as_str().to_owned()
            }
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(body: &str) -> String {
        mask_body(body.as_bytes(), Kept::Whole).into_owned()
    }

    #[test]
    fn bearer_tokens_keep_their_scheme_and_lose_their_value() {
        assert_eq!(
            mask_header_value("Bearer 9d97820c61424eb6ac0db414ccb7ac60"),
            "Bearer ****ac60"
        );
        assert_eq!(mask_header_value("Bearer sandbox-token"), "Bearer ****");
    }

    #[test]
    fn json_secrets_and_card_numbers_are_masked_at_any_depth_keeping_the_layout() {
        let body = r#"{"username":"sandbox","password":"sandbox","card":{"card_number": "4111111111111111", "cvc":"123"},"items":[{"pan":4111111111111111}]}"#;

        let masked = masked(body);

        assert_eq!(
            masked,
            r#"{"username":"sandbox","password":"****","card":{"card_number": "411111******1111", "cvc":"***"},"items":[{"pan":"411111******1111"}]}"#
        );
    }

    #[test]
    fn a_form_labelled_json_is_masked_as_the_form_intellectmoney_reads() {
        // IntellectMoney's own samples post this with `application/json`;
        // the label plays no part.
        let body = "EshopId=450000&InvoiceId=3000001&Pan=4111111111111111&CardHolder=IVAN+PETROV&ExpiredMonth=12&ExpiredYear=35&Cvv=123&Hash=d41d8cd98f00b204e9800998ecf8427e";

        let masked = masked(body);

        assert_eq!(
            masked,
            "EshopId=450000&InvoiceId=3000001&Pan=411111******1111&CardHolder=IVAN+PETROV&ExpiredMonth=12&ExpiredYear=35&Cvv=***&Hash=****427e"
        );
    }

    #[test]
    fn the_softline_card_form_is_masked_with_its_groups_of_digits() {
        let body = "card_number=4111+1111+1111+1111&expiry=12%2F39&cvc=123&cardholder=IVAN+PETROV";

        let masked = masked(body);

        assert_eq!(
            masked,
            "card_number=411111******1111&expiry=12%2F39&cvc=***&cardholder=IVAN+PETROV"
        );
    }

    #[test]
    fn xml_values_in_cdata_are_masked() {
        let body = "<Request><EshopId>450000</EshopId><Pan><![CDATA[4111111111111111]]></Pan><Cvv><![CDATA[123]]></Cvv></Request>";

        let masked = masked(body);

        assert_eq!(
            masked,
            "<Request><EshopId>450000</EshopId><Pan>411111******1111</Pan><Cvv>***</Cvv></Request>"
        );
    }

    #[test]
    fn xml_elements_with_attributes_and_secrets_in_attributes_are_masked() {
        let body = r#"<Request><Pan type="card">4111111111111111</Pan><Cvv kind='cvv2'>123</Cvv><Card cardNumber="5555 5555 5555 4444" cvc="321"/></Request>"#;

        let masked = masked(body);

        assert_eq!(
            masked,
            r#"<Request><Pan type="card">411111******1111</Pan><Cvv kind='cvv2'>***</Cvv><Card cardNumber="555555******4444" cvc="***"/></Request>"#
        );
    }

    #[test]
    fn xml_elements_with_a_namespace_prefix_are_masked() {
        let body = r#"<im:Request xmlns:im="urn:im"><im:Pan>4111111111111111</im:Pan><im:CVV>123</im:CVV><im:Hash>d41d8cd98f00b204e9800998ecf8427e</im:Hash></im:Request>"#;

        let masked = masked(body);

        assert_eq!(
            masked,
            r#"<im:Request xmlns:im="urn:im"><im:Pan>411111******1111</im:Pan><im:CVV>***</im:CVV><im:Hash>****427e</im:Hash></im:Request>"#
        );
    }

    #[test]
    fn names_are_secret_in_any_letter_case() {
        let body = r#"{"PAN":"4111 1111 1111 1111","CVV":"123","cardnumber":"5555555555554444","CARDNUMBER":"4000000000003220","Cvc":"1234"}"#;

        let masked = masked(body);

        assert_eq!(
            masked,
            r#"{"PAN":"411111******1111","CVV":"***","cardnumber":"555555******4444","CARDNUMBER":"400000******3220","Cvc":"***"}"#
        );
    }

    #[test]
    fn a_json_body_cut_at_the_limit_is_scanned_and_loses_every_card_digit() {
        let cases = [
            (
                r#"{"eshopId":"450000","pan":"4111111111111111","cvv":"123","cardHolder":"IV"#,
                r#"{"eshopId":"450000","pan":"411111******1111","cvv":"***","cardHolder":"IV"#,
            ),
            (
                r#"{"eshopId":"450000","pan":"41111111"#,
                r#"{"eshopId":"450000","pan":"****"#,
            ),
            (
                r#"{"order":"1","card":{"number":"4111 1111 11"#,
                r#"{"order":"1","card":{"number":"411111******"#,
            ),
            (
                r#"{"card":{"number":"5555-5555-5555-4444","code":"1"#,
                r#"{"card":{"number":"555555******4444","code":"1"#,
            ),
        ];
        for (cut, expected) in cases {
            assert_eq!(mask_body(cut.as_bytes(), Kept::Cut), expected, "{cut}");
        }
    }

    #[test]
    fn a_body_that_does_not_parse_has_every_card_length_run_and_secret_masked() {
        let cases = [
            (
                r#"{"pan": "4111-1111-1111-1111", "cvv": 123,}"#,
                r#"{"pan": "411111******1111", "cvv": ***,}"#,
            ),
            (
                "<Request><Pan>4111111111111111</Pan><Cvv>123</Cvv>",
                "<Request><Pan>411111******1111</Pan><Cvv>***</Cvv>",
            ),
            (
                r#"[{"cvc":"123","number":"4111111111111111"}]"#,
                r#"[{"cvc":"***","number":"411111******1111"}]"#,
            ),
            (
                "paid with 4111 1111 1111 1111 and 5555%205555%205555%204444",
                "paid with 411111******1111 and 555555******4444",
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(masked(body), expected, "{body}");
        }
    }

    #[test]
    fn the_shortcut_answers_what_the_whole_masker_answers() {
        let bodies = [
            r#"{"currency": "RUB", "amount": "112.50", "payment_id": "TEST1", "customer": {"company_name": "ООО", "phone": "7999991111"}}"#,
            r#"{"p\u0061n": "4111111111111111"}"#,
            r#"{"x:pan": "4111111111111111", "companyPan": "1"}"#,
            r#"{"number": "4111 1111 1111 1111"}"#,
            r#"{"number": 4111111111111111}"#,
            "p%61n=4111111111111111",
            "cvv=123",
            "<r><im:Cvv>123</im:Cvv></r>",
            "<r><Company>1</Company><x cvc='1'/></r>",
            "<r>&#112;an</r>",
            r#"{"Token ": "abc", "tokens": "abc", "my_token": "abc", "PASSWORD": "x"}"#,
            "paid with 4111-1111-1111-1111",
            "12 digits: 123456789012",
            r#"{"a": "ſecret"}"#,
            "paſsword=hunter2",
            "\u{212A}ey=abc",
            "4111111١111111111 (an Arabic-Indic digit inside)",
            "4111 1111 1111 1111 5",
            "1 2 3 4 5 6 7 8 9 0 1 2 3",
            "1  2  3  4  5  6  7  8  9  0  1  2  3",
            "Bearer 9d97820c61424eb6ac0db414ccb7ac60",
            "sign:abc",
            "xsign=abc",
        ];
        for body in bodies {
            assert_eq!(masked(body), mask_read(body), "{body}");
            assert_eq!(mask_text(body), scan(body, Kept::Whole), "{body}");
        }
        assert!(has_nothing_to_mask(bodies[0]), "a Softline create body");
        for name in CARD_FIELDS.iter().chain(CVV_FIELDS).chain(SECRET_FIELDS) {
            assert!(!has_nothing_to_mask(&format!("{name}=1")), "{name}");
            assert!(
                !has_nothing_to_mask(&format!("{}=1", name.to_uppercase())),
                "{name}"
            );
        }
        assert!(!has_nothing_to_mask(bodies[2]));
    }

    #[test]
    fn bodies_without_secrets_are_kept_as_they_were_written() {
        let cases = [
            "OK",
            "{ \"eshopId\": 450000, \"amount\": 10.00 }",
            "<r><EshopId>1</EshopId></r>",
            "EshopId=450000&Cvv=",
            "",
        ];
        for body in cases {
            assert_eq!(masked(body), body, "{body}");
        }
    }

    use proptest::strategy::Strategy as _;

    proptest::proptest! {
        /// The shortcut never keeps what either whole masker would change:
        /// bodies built from secret names in any case, digits, separators,
        /// quotes and Cyrillic, where names and digit runs meet often.
        #[test]
        fn what_the_shortcut_keeps_neither_masker_changes(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(
                        CARD_FIELDS.iter().chain(CVV_FIELDS).chain(SECRET_FIELDS).copied().collect::<Vec<_>>()
                    ).prop_map(str::to_owned),
                    "[a-zA-Z_]{1,6}",
                    "[0-9]{1,8}",
                    proptest::sample::select(vec![" ", "-", "+", "\"", "=", ":", "{", "}", ",", "_", "Иван", "\n"])
                        .prop_map(str::to_owned),
                ],
                0..24,
            ),
            upper in proptest::bool::ANY,
        ) {
            let mut body = parts.concat();
            if upper {
                body = body.to_uppercase();
            }
            if has_nothing_to_mask(&body) {
                proptest::prop_assert_eq!(scan(&body, Kept::Whole), body.clone());
                proptest::prop_assert_eq!(mask_read(&body), body);
            }
        }
    }
}
