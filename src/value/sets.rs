//! Sets of texts and of ints, and the constant text sets compiled into a
//! policy, searched by fingerprint.

/// A text value. Texts up to 24 bytes (most codes, names, ids) are stored
/// inline, so reading a field or a set element does not chase a pointer.
pub type Text = compact_str::CompactString;

/// A set of texts: sorted, without duplicates, elements stored inline in
/// one buffer; equality is structural.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct TextSet(Box<[Text]>);

impl TextSet {
    /// Builds a set from any texts.
    pub fn new<I: IntoIterator<Item = S>, S: AsRef<str>>(items: I) -> TextSet {
        let mut v: Vec<Text> = items.into_iter().map(|s| Text::new(s.as_ref())).collect();
        v.sort();
        v.dedup();
        TextSet(v.into_boxed_slice())
    }
    /// Membership. Small sets (the usual case) are scanned with `==`,
    /// which compares lengths before bytes; large ones are searched.
    pub fn contains(&self, s: &str) -> bool {
        if self.0.len() <= 16 {
            self.0.iter().any(|x| same_text(x.as_bytes(), s.as_bytes()))
        } else {
            self.0.binary_search_by(|x| x.as_str().cmp(s)).is_ok()
        }
    }
    /// Every element of `self` is in `other`.
    pub fn is_subset(&self, other: &TextSet) -> bool {
        self.0.iter().all(|x| other.contains(x))
    }
    /// Some element of `self` is in `other`.
    pub fn intersects(&self, other: &TextSet) -> bool {
        self.0.iter().any(|x| other.contains(x))
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// No elements.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Elements in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(Text::as_str)
    }
}

/// A constant set of texts compiled into a policy (`industry in {…}`).
///
/// A text of up to 16 bytes is kept as a fingerprint of at most two machine
/// words that, with its length, covers every byte (see `short_key`); the
/// fingerprints are grouped by length. A test looks up the group of the
/// probe's length (for most probes an empty one, and the test ends there),
/// then compares one fingerprint per candidate, with no byte loop. Longer
/// texts are compared as slices.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct ConstTexts {
    /// `short[group[n]..group[n + 1]]` are the fingerprints of the texts of
    /// `n` bytes, `n` ≤ 16, sorted. Boxed, so that the set stays small in
    /// the compiled expression.
    group: Box<[u32; SHORT + 2]>,
    short: Box<[u128]>,
    /// The longer texts, sorted.
    long: Box<[Box<str>]>,
}

/// The longest text kept as a fingerprint.
const SHORT: usize = 16;

/// A group of fingerprints up to this size is scanned; a larger one is
/// searched.
const SCAN: usize = 8;

impl ConstTexts {
    /// The set's texts.
    pub fn new(set: &TextSet) -> ConstTexts {
        let mut short: Vec<(usize, u128)> = Vec::new();
        let mut long: Vec<Box<str>> = Vec::new();
        for t in set.iter() {
            match short_key(t.as_bytes()) {
                Some(k) => short.push((t.len(), k)),
                None => long.push(Box::from(t)),
            }
        }
        short.sort_unstable();
        long.sort_unstable();
        let mut group = Box::new([0u32; SHORT + 2]);
        for (n, g) in group.iter_mut().enumerate() {
            // Sets of over four billion texts do not fit a policy file.
            *g = u32::try_from(short.partition_point(|&(len, _)| len < n)).unwrap_or(u32::MAX);
        }
        ConstTexts {
            group,
            short: short.into_iter().map(|(_, k)| k).collect(),
            long: long.into(),
        }
    }

    /// Membership.
    #[inline]
    pub fn contains(&self, s: &str) -> bool {
        let b = s.as_bytes();
        let n = b.len();
        if n > SHORT {
            return self.contains_long(b);
        }
        let (Some(&a), Some(&e)) = (self.group.get(n), self.group.get(n + 1)) else {
            return false;
        };
        if a == e {
            return false;
        }
        let (Some(keys), Some(k)) = (self.short.get(a as usize..e as usize), short_key(b)) else {
            return false;
        };
        if keys.len() <= SCAN {
            keys.contains(&k)
        } else {
            keys.binary_search(&k).is_ok()
        }
    }

    #[inline(never)]
    fn contains_long(&self, b: &[u8]) -> bool {
        self.long.binary_search_by(|x| x.as_bytes().cmp(b)).is_ok()
    }
}

/// For a text of at most 16 bytes, a number that, together with the
/// length, determines every byte: two (possibly overlapping) windows that
/// cover the text from its start and from its end. `None` for longer texts.
#[inline]
fn short_key(b: &[u8]) -> Option<u128> {
    let n = b.len();
    let w4 = |r: Option<&[u8]>| -> Option<u128> {
        Some(u128::from(u32::from_le_bytes(r?.try_into().ok()?)))
    };
    let w8 = |r: Option<&[u8]>| -> Option<u128> {
        Some(u128::from(u64::from_le_bytes(r?.try_into().ok()?)))
    };
    let byte = |i: usize| b.get(i).map_or(0, |&x| u128::from(x));
    match n {
        0 => Some(0),
        1..=3 => Some(byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16),
        4..=7 => Some(w4(b.get(..4))? | w4(b.get(n - 4..))? << 32),
        8..=16 => Some(w8(b.get(..8))? | w8(b.get(n - 8..))? << 64),
        _ => None,
    }
}

/// Text equality that compares short texts (codes, tags) byte by byte in
/// line instead of calling `memcmp`.
#[inline]
fn same_text(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() <= 16 {
        a.iter().zip(b).all(|(x, y)| x == y)
    } else {
        a == b
    }
}

/// A set of ints, sorted and without duplicates.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct IntSet(Box<[i64]>);

impl IntSet {
    /// Builds a set from any ints.
    pub fn new<I: IntoIterator<Item = i64>>(items: I) -> IntSet {
        let mut v: Vec<i64> = items.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        IntSet(v.into_boxed_slice())
    }
    /// Membership.
    pub fn contains(&self, x: i64) -> bool {
        self.0.binary_search(&x).is_ok()
    }
    /// Every element of `self` is in `other`.
    pub fn is_subset(&self, other: &IntSet) -> bool {
        self.0.iter().all(|x| other.contains(*x))
    }
    /// Some element of `self` is in `other`.
    pub fn intersects(&self, other: &IntSet) -> bool {
        self.0.iter().any(|x| other.contains(*x))
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// No elements.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Elements in order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        self.0.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Texts that share lengths, prefixes and suffixes with each other, so
    /// that the fingerprint's overlapping windows are really put to work;
    /// multi-byte characters included. Up to 3 characters, many texts share
    /// one length, so that a length's group is searched rather than scanned.
    fn near_text(max_chars: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![Just('a'), Just('b'), Just('é'), Just('\0')],
            0..=max_chars,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    /// Membership in the compiled set is membership in the plain list.
    fn agrees_with_a_plain_set(
        members: &[String],
        probes: &[String],
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let set = ConstTexts::new(&TextSet::new(members));
        for p in probes.iter().chain(members) {
            prop_assert_eq!(
                set.contains(p),
                members.contains(p),
                "{:?} in {:?}",
                p,
                members
            );
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn crowded_const_texts_agree_with_a_plain_set(
            members in proptest::collection::vec(near_text(3), 0..60),
            probes in proptest::collection::vec(near_text(3), 1..30),
        ) {
            agrees_with_a_plain_set(&members, &probes)?;
        }

        #[test]
        fn const_texts_agree_with_a_plain_set(
            members in proptest::collection::vec(near_text(20), 0..40),
            probes in proptest::collection::vec(near_text(20), 1..12),
        ) {
            agrees_with_a_plain_set(&members, &probes)?;
        }
    }

    #[test]
    fn sets_are_sorted_and_deduplicated() {
        let s = TextSet::new(["b", "a", "b"]);
        assert_eq!(s.len(), 2);
        assert!(s.contains("a") && !s.contains("c"));
        assert!(TextSet::new(["a"]).is_subset(&s));
        assert!(IntSet::new([3, 1, 3]).is_subset(&IntSet::new([1, 2, 3])));
    }

    #[test]
    fn const_texts_tell_apart_texts_of_every_short_length() {
        // For each length up to 17, every text differing in one byte from a
        // member is not a member (each byte is covered by a window).
        for n in 0..=17usize {
            let member: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            let set = ConstTexts::new(&TextSet::new([member.as_str()]));
            assert!(set.contains(&member), "{member}");
            for i in 0..n {
                let mut other = member.clone().into_bytes();
                other[i] = b'Z';
                let other = String::from_utf8(other).unwrap();
                assert!(!set.contains(&other), "{other} is not {member}");
            }
            assert!(!set.contains(&format!("{member}a")));
        }
    }
}
