//! Finding a field's slot by its name, the step every JSON member and every
//! builder `set` takes: an open-addressed table keyed on the name's length
//! and its first and last eight bytes. For a name of up to sixteen bytes
//! those words are the whole name, so a hit is three integer compares and no
//! byte-by-byte comparison; a longer name is confirmed by comparing it whole.

/// One name's words: its length and its first and last bytes, read so that
/// for a name of up to sixteen bytes they are the whole name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Words {
    len: usize,
    head: u64,
    tail: u64,
}

impl Words {
    #[inline]
    fn of(name: &[u8]) -> Words {
        let len = name.len();
        let u64_at = |i: usize| {
            name.get(i..i + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map_or(0, u64::from_le_bytes)
        };
        let u32_at = |i: usize| {
            name.get(i..i + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
        };
        let byte = |i: usize| name.get(i).copied().map_or(0, u64::from);
        // Overlapping reads: with the length known, the first and the last
        // few bytes cover a short name whole.
        let (head, tail) = match len {
            0 => (0, 0),
            1..=3 => (byte(0) | byte(len / 2) << 8 | byte(len - 1) << 16, 0),
            4..=7 => (u32_at(0) | u32_at(len - 4) << 32, 0),
            _ => (u64_at(0), u64_at(len - 8)),
        };
        Words { len, head, tail }
    }

    #[inline]
    fn hash(&self, mask: usize) -> usize {
        let mixed = (self.head ^ self.tail.rotate_left(29) ^ self.len as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // The high bits of the product depend on every input bit.
        (mixed >> 40) as usize & mask
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    words: Words,
    slot: u16,
}

/// Slots by name.
#[derive(Debug, Clone)]
pub(crate) struct NameIndex {
    entries: Box<[Option<Entry>]>,
    mask: usize,
}

impl NameIndex {
    /// An index of `names` (slot = position). When a name repeats, the
    /// first slot wins.
    pub(crate) fn new<'n>(names: impl IntoIterator<Item = &'n str>) -> NameIndex {
        let names: Vec<&str> = names.into_iter().collect();
        let size = (names.len() * 2).next_power_of_two().max(8);
        let mask = size - 1;
        let mut entries: Box<[Option<Entry>]> = vec![None; size].into_boxed_slice();
        for (slot, &name) in names.iter().enumerate() {
            let Ok(slot) = u16::try_from(slot) else {
                break;
            };
            let words = Words::of(name.as_bytes());
            let mut i = words.hash(mask);
            // The table is at most half full: a free entry is always found.
            while let Some(Some(e)) = entries.get(i) {
                let held = names.get(usize::from(e.slot)).copied();
                if e.words == words && held == Some(name) {
                    break;
                }
                i = (i + 1) & mask;
            }
            if let Some(e @ None) = entries.get_mut(i) {
                *e = Some(Entry { words, slot });
            }
        }
        NameIndex { entries, mask }
    }

    /// The slot of `name`; `name_of(slot)` gives a slot's name, to confirm
    /// a name longer than sixteen bytes.
    #[inline]
    pub(crate) fn get<'s>(&self, name: &str, name_of: impl Fn(u16) -> &'s str) -> Option<u16> {
        let words = Words::of(name.as_bytes());
        let mut i = words.hash(self.mask);
        loop {
            let e = (*self.entries.get(i)?)?;
            if e.words == words && (words.len <= 16 || name_of(e.slot) == name) {
                return Some(e.slot);
            }
            i = (i + 1) & self.mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_name_and_no_other() {
        let names: Vec<String> = (0..300)
            .map(|i| match i % 4 {
                0 => format!("f{i}"),
                1 => format!("a_rather_long_field_name_{i}_x"),
                2 => format!("{i}_same_tail_but_longer_than_sixteen"),
                _ => "é".repeat(i % 11 + 1) + &i.to_string(),
            })
            .collect();
        let idx = NameIndex::new(names.iter().map(String::as_str));
        let name_of = |s: u16| names[usize::from(s)].as_str();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(idx.get(n, name_of), u16::try_from(i).ok(), "{n}");
        }
        for miss in ["", "f", "f1000", "a_rather_long_field_name_1_y", "F0"] {
            assert_eq!(idx.get(miss, name_of), None, "{miss}");
        }
    }

    #[test]
    fn long_names_sharing_their_words_are_told_apart() {
        // Same length, same first and last eight bytes.
        let names = ["abcdefgh_1_ijklmnop", "abcdefgh_2_ijklmnop"];
        let idx = NameIndex::new(names.iter().copied());
        let name_of = |s: u16| names[usize::from(s)];
        assert_eq!(idx.get(names[0], name_of), Some(0));
        assert_eq!(idx.get(names[1], name_of), Some(1));
        assert_eq!(idx.get("abcdefgh_3_ijklmnop", name_of), None);
    }

    #[test]
    fn a_repeated_name_keeps_its_first_slot() {
        let names = ["x", "y", "x"];
        let idx = NameIndex::new(names.iter().copied());
        assert_eq!(idx.get("x", |s| names[usize::from(s)]), Some(0));
    }

    #[test]
    fn the_empty_index_finds_nothing() {
        let idx = NameIndex::new(std::iter::empty());
        assert_eq!(idx.get("x", |_| ""), None);
    }
}
