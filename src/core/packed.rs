//! Several short texts packed into one allocation.
//!
//! A stored payment carries a dozen strings that never change (its ids, the
//! buyer's name and e-mail, addresses, free-form additional data). As
//! `String`s that is a dozen heap allocations, each with its allocator
//! overhead, and a million stored payments made that the bulk of the
//! memory. Packed, they are one exact-size allocation; each text is read
//! back as a `&str` without copying.
//!
//! Layout: for each slot, a LEB128 length prefix (`0` for an absent text,
//! `n + 1` for a text of `n` bytes) followed by the text's bytes.

/// An immutable list of optional texts.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct PackedText(Box<[u8]>);

impl std::fmt::Debug for PackedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PackedText {
    /// Packs `texts` in order, into one allocation of exactly the size they
    /// take.
    pub fn pack<'a, I>(texts: I) -> Self
    where
        I: IntoIterator<Item = Option<&'a str>>,
        I::IntoIter: Clone,
    {
        let texts = texts.into_iter();
        Self::pack_sized(Self::measure(texts.clone()), texts)
    }

    /// The bytes `texts` take packed: measured first, a buffer is
    /// allocated once (a guess too large is a reallocation when it is
    /// boxed, too small one while it is filled).
    pub fn measure<'a>(texts: impl IntoIterator<Item = Option<&'a str>>) -> usize {
        texts
            .into_iter()
            .map(|text| text.map_or(1, |t| prefix_len(t.len() as u64 + 1) + t.len()))
            .sum()
    }

    /// Packs `texts`, which [`PackedText::measure`] says take `size` bytes.
    pub fn pack_sized<'a>(size: usize, texts: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        let mut buf = Vec::with_capacity(size);
        for text in texts {
            match text {
                None => buf.push(0),
                Some(text) => {
                    write_len(&mut buf, text.len() as u64 + 1);
                    buf.extend_from_slice(text.as_bytes());
                }
            }
        }
        debug_assert_eq!(buf.len(), size);
        Self(buf.into_boxed_slice())
    }

    /// Every slot in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter { rest: &self.0 }
    }

    /// Slot `index`: `None` when absent or past the end.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.iter().nth(index).flatten()
    }

    /// Slot `index`, or `""` when absent.
    pub fn text(&self, index: usize) -> &str {
        self.get(index).unwrap_or("")
    }

    /// Bytes held (for memory accounting).
    pub fn len_bytes(&self) -> usize {
        self.0.len()
    }
}

/// The bytes `write_len` takes for `value`.
fn prefix_len(value: u64) -> usize {
    (64 - value.max(1).leading_zeros() as usize).div_ceil(7)
}

fn write_len(buf: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            buf.push(byte);
            return;
        }
        buf.push(byte | 0x80);
    }
}

/// The slots of a [`PackedText`].
pub struct Iter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Iter<'a> {
    type Item = Option<&'a str>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let mut value: u64 = 0;
        let mut shift = 0;
        let mut used = 0;
        for &byte in self.rest {
            used += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        self.rest = &self.rest[used..];
        if value == 0 {
            return Some(None);
        }
        let len = usize::try_from(value - 1)
            .unwrap_or(usize::MAX)
            .min(self.rest.len());
        let (text, rest) = self.rest.split_at(len);
        self.rest = rest;
        // Only whole `&str`s were packed, so this always holds; an empty
        // text rather than a panic if it ever did not.
        Some(Some(std::str::from_utf8(text).unwrap_or("")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_come_back_as_they_were_packed() {
        let long = "Москва, Ломоносовский проспект, 12".repeat(10);
        let packed =
            PackedText::pack([Some("a"), None, Some(""), Some("Иван"), Some(long.as_str())]);

        let slots: Vec<Option<&str>> = packed.iter().collect();

        assert_eq!(
            slots,
            [Some("a"), None, Some(""), Some("Иван"), Some(long.as_str())]
        );
        assert_eq!(packed.get(3), Some("Иван"));
        assert_eq!(packed.get(1), None);
        assert_eq!(packed.get(9), None);
        assert_eq!(packed.text(1), "");
    }

    #[test]
    fn packing_takes_one_exact_allocation() {
        let packed = PackedText::pack([Some("TEST12025"), Some("CreditCard")]);
        assert_eq!(packed.len_bytes(), 1 + 9 + 1 + 10);
    }

    proptest::proptest! {
        #[test]
        fn any_texts_round_trip(texts in proptest::collection::vec(proptest::option::of("\\PC{0,300}"), 0..20)) {
            let packed = PackedText::pack(texts.iter().map(|t| t.as_deref()));
            let back: Vec<Option<String>> = packed.iter().map(|t| t.map(str::to_owned)).collect();
            proptest::prop_assert_eq!(back, texts);
        }
    }
}
