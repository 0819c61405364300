//! Digests the providers sign with, as lowercase hex.
//!
//! Softline signs webhooks with SHA-512; IntellectMoney signs with MD5 (`Hash`)
//! and SHA-256 (`Sign`). Which fields go in, in which order, is each
//! provider's business; this module only hashes and compares.

use md5::Md5;
use sha2::{Digest, Sha256, Sha512};

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
