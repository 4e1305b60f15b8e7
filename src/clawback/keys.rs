//! A map from byte keys to `u32`s whose keys live end to end in one
//! buffer: indexing a booked ledger of a million keys makes no allocation
//! per key, and each key costs its bytes and sixteen.

use std::hash::{BuildHasher, Hasher};

use hashbrown::HashTable;

/// Where a key's bytes are in the buffer, and its value.
#[derive(Debug, Clone, Copy)]
struct Slot {
    start: u64,
    len: u32,
    value: u32,
}

/// Byte keys to values.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    bytes: Vec<u8>,
    table: HashTable<Slot>,
    hasher: Seeded,
}

impl Keys {
    fn key<'b>(bytes: &'b [u8], s: &Slot) -> &'b [u8] {
        let start = usize::try_from(s.start).unwrap_or(usize::MAX);
        bytes
            .get(start..start.saturating_add(s.len as usize))
            .unwrap_or_default()
    }

    fn hash(&self, key: &[u8]) -> u64 {
        let mut h = self.hasher.build_hasher();
        h.write(key);
        h.finish()
    }

    /// Room for `keys` more keys of `bytes` bytes in all.
    pub(crate) fn reserve(&mut self, keys: usize, bytes: usize) {
        self.bytes.reserve(bytes);
        let (hasher, buf) = (self.hasher, &self.bytes);
        self.table
            .reserve(keys, |s| hash_with(hasher, Keys::key(buf, s)));
    }

    /// The number of keys.
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// The value of `key`.
    pub(crate) fn get(&self, key: &[u8]) -> Option<u32> {
        let bytes = &self.bytes;
        self.table
            .find(self.hash(key), |s| Keys::key(bytes, s) == key)
            .map(|s| s.value)
    }

    /// The value of `key`, inserting `value` when it has none; `None`
    /// when the key is longer than four gigabytes.
    pub(crate) fn get_or_insert(&mut self, key: &[u8], value: u32) -> Option<u32> {
        let hash = self.hash(key);
        let (hasher, bytes) = (self.hasher, &mut self.bytes);
        let entry = self.table.entry(
            hash,
            |s| Keys::key(bytes, s) == key,
            |s| hash_with(hasher, Keys::key(bytes, s)),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(o) => Some(o.get().value),
            hashbrown::hash_table::Entry::Vacant(v) => {
                let slot = Slot {
                    start: bytes.len() as u64,
                    len: u32::try_from(key.len()).ok()?,
                    value,
                };
                bytes.extend_from_slice(key);
                v.insert(slot);
                Some(value)
            }
        }
    }

    /// Every value, in no order.
    pub(crate) fn values(&self) -> impl Iterator<Item = u32> + '_ {
        self.table.iter().map(|s| s.value)
    }
}

fn hash_with(hasher: Seeded, key: &[u8]) -> u64 {
    let mut h = hasher.build_hasher();
    h.write(key);
    h.finish()
}

/// The hash of the keys: a multiply-and-fold over eight bytes at a time,
/// seeded per process (from the standard library's random keys) so that
/// no input can be written to collide. Keys are a few dozen bytes: SipHash,
/// the standard map's, took a quarter of the time to index a booked
/// ledger.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seeded(u64);

impl Default for Seeded {
    fn default() -> Seeded {
        thread_local! {
            static SEED: u64 =
                std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64) | 1;
        }
        Seeded(SEED.with(|s| *s))
    }
}

impl BuildHasher for Seeded {
    type Hasher = Fold;
    fn build_hasher(&self) -> Fold {
        Fold(self.0)
    }
}

/// The state of one [`Seeded`] hash.
pub(crate) struct Fold(u64);

const FOLD: u64 = 0x9E37_79B9_7F4A_7C15;

fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

impl Hasher for Fold {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let w = <[u8; 8]>::try_from(w).map_or(0, u64::from_le_bytes);
            self.0 = fold(self.0 ^ w, FOLD);
        }
        let tail = words
            .remainder()
            .iter()
            .rev()
            .fold(0u64, |acc, &b| acc << 8 | u64::from(b));
        self.0 = fold(self.0 ^ tail ^ (bytes.len() as u64) << 56, FOLD);
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = fold(self.0 ^ n as u64, FOLD);
    }
    fn finish(&self) -> u64 {
        fold(self.0, FOLD.rotate_left(17))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_finds_its_value_and_no_other() {
        let mut k = Keys::default();
        let keys: Vec<Vec<u8>> = (0..5000u32)
            .map(|i| format!("D-{i}\u{0}E-{}", i % 7).into_bytes())
            .chain([Vec::new(), vec![0], vec![0, 0], b"12345678".to_vec()])
            .collect();
        for (i, key) in keys.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            assert_eq!(k.get_or_insert(key, i), Some(i));
        }
        assert_eq!(k.len(), keys.len());
        for (i, key) in keys.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            assert_eq!(k.get(key), Some(i));
            assert_eq!(k.get_or_insert(key, 99_999), Some(i), "kept");
        }
        assert_eq!(k.get(b"D-5000\x00E-2"), None);
        assert_eq!(k.get(&[0, 0, 0]), None);
        let mut values: Vec<u32> = k.values().collect();
        values.sort_unstable();
        assert_eq!(
            values,
            (0..u32::try_from(keys.len()).unwrap_or(0)).collect::<Vec<_>>()
        );
    }
}
