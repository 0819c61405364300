//! Digests the providers sign with, as lowercase hex.
//!
//! Softline signs webhooks with SHA-512; IntellectMoney signs with MD5 (`Hash`)
//! and SHA-256 (`Sign`). Which fields go in, in which order, is each
//! provider's business; this module only hashes and compares, and says
//! what was signed ([`SignatureHelp`]) when a signature is refused.

use md5::Md5;
use serde::Serialize;
use sha2::{Digest, Sha256, Sha512};

/// The header that tells a client whose signature was refused what the
/// sandbox expected to be hashed.
pub const BASE_HEADER: &str = "x-sandbox-signature-base";

/// What a refused signature should have been computed over: the signed text
/// with the key written as a placeholder (`<SecretKey>`), and the template's
/// fields in order with the values the request had. Attached to the answer
/// as a response extension, so the journal files it beside the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureHelp {
    #[serde(rename = "signature_base")]
    pub base: String,
    #[serde(rename = "signature_fields")]
    pub fields: Vec<SignedField>,
}

/// One slot of a signature template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SignedField {
    pub name: String,
    pub value: String,
    /// The request had no value for it: its slot stayed empty.
    pub empty: bool,
}

impl SignedField {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        let value = value.into();
        Self {
            name: name.into(),
            empty: value.is_empty(),
            value,
        }
    }

    /// "EshopId = 450000" or "OrderId = (empty)", for a page.
    pub fn describe(&self) -> String {
        if self.empty {
            format!("{} = (empty)", self.name)
        } else {
            format!("{} = {}", self.name, self.value)
        }
    }
}

impl SignatureHelp {
    /// The base as a header value: bytes outside printable ASCII, and `%`
    /// itself, percent-encoded, so any text survives a header and decodes
    /// back unambiguously.
    pub fn header_value(&self) -> String {
        percent_encode_header(&self.base)
    }
}

/// `text` with every byte outside printable ASCII, and `%`, written `%XX`.
pub fn percent_encode_header(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if (0x20..0x7f).contains(&byte) && byte != b'%' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub fn sha512_hex(text: &str) -> String {
    hex::encode(Sha512::digest(text.as_bytes()))
}

/// Compares a received hex signature with the expected one in any letter
/// case, in time independent of where they differ.
pub fn hex_matches(received: &str, expected: &str) -> bool {
    let (a, b) = (received.trim().as_bytes(), expected.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| {
        diff | (x.to_ascii_lowercase() ^ y.to_ascii_lowercase())
    }) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_known_values() {
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(sha512_hex("").starts_with("cf83e1357eefb8bd"));
    }

    proptest::proptest! {
        #[test]
        fn a_signature_matches_itself_in_any_letter_case(text in "\\PC{0,64}", upper in proptest::bool::ANY) {
            let expected = sha256_hex(&text);
            let received = if upper { expected.to_uppercase() } else { expected.clone() };
            proptest::prop_assert!(hex_matches(&received, &expected));
        }

        #[test]
        fn a_signature_of_other_text_never_matches(a in "\\PC{0,32}", b in "\\PC{0,32}") {
            proptest::prop_assume!(a != b);
            proptest::prop_assert!(!hex_matches(&md5_hex(&a), &md5_hex(&b)));
        }
    }

    #[test]
    fn a_header_base_percent_encodes_non_ascii_controls_and_percent_only() {
        assert_eq!(
            percent_encode_header("a b::100%::Оп\t<SecretKey>"),
            "a b::100%25::%D0%9E%D0%BF%09<SecretKey>"
        );
    }

    #[test]
    fn hex_comparison_ignores_letter_case_only() {
        assert!(hex_matches(
            "D41D8CD98F00B204E9800998ECF8427E",
            &md5_hex("")
        ));
        assert!(!hex_matches(
            "d41d8cd98f00b204e9800998ecf8427f",
            &md5_hex("")
        ));
        assert!(!hex_matches("d41d", &md5_hex("")));
    }
}
