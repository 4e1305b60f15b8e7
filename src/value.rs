//! Types and values: currencies, money, sets, and their text forms.

use std::borrow::Cow;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Serialize, Serializer};

/// An ISO-4217 currency code: three capital letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// ISO-4217's "no currency", used as a placeholder after an error.
    pub const XXX: Currency = Currency(*b"XXX");

    /// Parses three ASCII capitals.
    ///
    /// ```
    /// use baton::value::Currency;
    /// assert_eq!(Currency::parse("EUR").map(|c| c.to_string()), Some("EUR".into()));
    /// assert!(Currency::parse("eur").is_none());
    /// ```
    pub fn parse(s: &str) -> Option<Currency> {
        match s.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => {
                Some(Currency([*a, *b, *c]))
            }
            _ => None,
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // INVARIANT: built only from ASCII capitals by `parse`.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// Decimal places of the currency's minor unit: 0 for JPY and KRW, 2
    /// otherwise (LANGUAGE.md §8).
    pub fn minor_units(&self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" => 0,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// An exact amount in one currency.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Money {
    /// The amount, exact.
    pub amount: Decimal,
    /// Its currency.
    pub currency: Currency,
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// The declared type of a field or the inferred type of an expression.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Type {
    /// `bool`
    Bool,
    /// `int`
    Int,
    /// `decimal`
    Decimal,
    /// `money`
    Money,
    /// `text`
    Text,
    /// `date`
    Date,
    /// `timestamp`
    Timestamp,
    /// `duration`
    Duration,
    /// `set of text`
    SetText,
    /// `set of int`
    SetInt,
}

impl Type {
    /// The type as a user writes it.
    pub fn name(self) -> &'static str {
        match self {
            Type::Bool => "bool",
            Type::Int => "int",
            Type::Decimal => "decimal",
            Type::Money => "money",
            Type::Text => "text",
            Type::Date => "date",
            Type::Timestamp => "timestamp",
            Type::Duration => "duration",
            Type::SetText => "set of text",
            Type::SetInt => "set of int",
        }
    }

    /// `int` and `decimal` mix in arithmetic and comparisons.
    pub fn is_number(self) -> bool {
        matches!(self, Type::Int | Type::Decimal)
    }

    /// The element type of a set type.
    pub fn element(self) -> Option<Type> {
        match self {
            Type::SetText => Some(Type::Text),
            Type::SetInt => Some(Type::Int),
            _ => None,
        }
    }

    /// Whether values of this type have an order (`<`, `between`, `min`).
    pub fn is_ordered(self) -> bool {
        matches!(
            self,
            Type::Int | Type::Decimal | Type::Money | Type::Date | Type::Timestamp | Type::Duration
        )
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

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

/// An owned, known value: what a record field or a constant holds.
#[derive(Clone, PartialEq, Debug)]
pub enum Value {
    /// `bool`
    Bool(bool),
    /// `int`
    Int(i64),
    /// `decimal`
    Decimal(Decimal),
    /// `money`
    Money(Money),
    /// `text`
    Text(Text),
    /// `date`
    Date(NaiveDate),
    /// `timestamp`, Unix seconds
    Timestamp(i64),
    /// `duration`, seconds
    Duration(i64),
    /// `set of text`
    SetText(TextSet),
    /// `set of int`
    SetInt(IntSet),
}

impl Value {
    /// The value's type.
    pub fn ty(&self) -> Type {
        match self {
            Value::Bool(_) => Type::Bool,
            Value::Int(_) => Type::Int,
            Value::Decimal(_) => Type::Decimal,
            Value::Money(_) => Type::Money,
            Value::Text(_) => Type::Text,
            Value::Date(_) => Type::Date,
            Value::Timestamp(_) => Type::Timestamp,
            Value::Duration(_) => Type::Duration,
            Value::SetText(_) => Type::SetText,
            Value::SetInt(_) => Type::SetInt,
        }
    }

    /// Borrows the value for evaluation.
    pub fn as_val(&self) -> Val<'_> {
        match self {
            Value::Bool(b) => Val::Bool(*b),
            Value::Int(i) => Val::Int(*i),
            Value::Decimal(d) => Val::Dec(*d),
            Value::Money(m) => Val::Money(*m),
            Value::Text(t) => Val::Text(Cow::Borrowed(t.as_str())),
            Value::Date(d) => Val::Date(*d),
            Value::Timestamp(t) => Val::Timestamp(*t),
            Value::Duration(d) => Val::Duration(*d),
            Value::SetText(s) => Val::SetText(s),
            Value::SetInt(s) => Val::SetInt(s),
        }
    }

    /// The value in JSON, by the encoding of CLI.md.
    pub fn to_json(&self) -> serde_json::Value {
        self.as_val().to_json()
    }
}

/// A value during evaluation: borrowed from the record or the compiled
/// policy where possible, `Unknown` for missing data.
#[derive(Clone, PartialEq, Debug)]
pub enum Val<'a> {
    /// Missing data (three-valued logic).
    Unknown,
    /// `bool`
    Bool(bool),
    /// `int`
    Int(i64),
    /// `decimal`
    Dec(Decimal),
    /// `money`
    Money(Money),
    /// `text`
    Text(Cow<'a, str>),
    /// `date`
    Date(NaiveDate),
    /// `timestamp`
    Timestamp(i64),
    /// `duration`
    Duration(i64),
    /// `set of text`
    SetText(&'a TextSet),
    /// `set of int`
    SetInt(&'a IntSet),
}

impl Val<'_> {
    /// Renders the value the way error messages and `--explain` show it.
    pub fn display(&self) -> String {
        match self {
            Val::Unknown => "unknown".into(),
            Val::Bool(b) => b.to_string(),
            Val::Int(i) => i.to_string(),
            Val::Dec(d) => format_decimal(*d),
            Val::Money(m) => format!("{} {}", format_decimal(m.amount), m.currency),
            Val::Text(t) => format!("{t:?}"),
            Val::Date(d) => d.to_string(),
            Val::Timestamp(t) => format_timestamp(*t),
            Val::Duration(s) => format_duration(*s),
            Val::SetText(s) => format!(
                "{{{}}}",
                s.iter()
                    .map(|x| format!("{x:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Val::SetInt(s) => format!(
                "{{{}}}",
                s.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The value in JSON, by the encoding of CLI.md (money as its amount).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Val::Unknown => J::Null,
            Val::Bool(b) => J::Bool(*b),
            Val::Int(i) => J::from(*i),
            Val::Dec(d) => J::String(format_decimal(*d)),
            Val::Money(m) => J::String(format_money(m.amount, m.currency)),
            Val::Text(t) => J::String(t.to_string()),
            Val::Date(d) => J::String(d.to_string()),
            Val::Timestamp(t) => J::String(format_timestamp(*t)),
            Val::Duration(s) => J::from(*s),
            Val::SetText(s) => J::Array(s.iter().map(|x| J::String(x.into())).collect()),
            Val::SetInt(s) => J::Array(s.iter().map(J::from).collect()),
        }
    }
}

/// `a / b` as LANGUAGE §4 says: exact when the quotient terminates (and
/// fits a `Decimal`: at most 28 decimal places, a mantissa below 2^96),
/// otherwise rounded half-even to 28 significant digits (or to 28 decimal
/// places, the finest a `Decimal` holds, for a quotient below 10^-1 whose
/// 28th digit lies past that). `None` when `b` is zero or the result is too
/// large for a `Decimal`.
///
/// rust_decimal's own division is used when its result is the exact
/// quotient (checked with one or two integer products); otherwise — a
/// quotient that does not terminate, or one rust_decimal rounded although
/// it fits (`MAX / 10`) or could not hold (`MAX / 1`) — the quotient is
/// worked out by [`quotient_exact`].
pub fn quotient(a: Decimal, b: Decimal) -> Option<Decimal> {
    match a.checked_div(b) {
        Some(q) if times_is(q, b, a) == Some(true) => Some(q),
        _ => quotient_exact(a, b),
    }
}

/// Whether `q × b == a` exactly, on the mantissas; `None` when the product
/// does not fit 128 bits (then the caller works it out the long way).
fn times_is(q: Decimal, b: Decimal, a: Decimal) -> Option<bool> {
    if q.is_sign_negative() != (a.is_sign_negative() != b.is_sign_negative()) && !q.is_zero() {
        return Some(false);
    }
    let (mq, mb, ma) = (
        q.mantissa().unsigned_abs(),
        b.mantissa().unsigned_abs(),
        a.mantissa().unsigned_abs(),
    );
    let product = mq.checked_mul(mb)?;
    // q × b = product × 10^-(sq + sb) against a = ma × 10^-sa.
    let shift = i64::from(q.scale()) + i64::from(b.scale()) - i64::from(a.scale());
    let scaled = |x: u128, by: i64| {
        u32::try_from(by)
            .ok()
            .and_then(|k| 10u128.checked_pow(k))
            .and_then(|p| x.checked_mul(p))
    };
    Some(if shift >= 0 {
        // product == ma × 10^shift; a side past 128 bits is not `product`.
        scaled(ma, shift) == Some(product)
    } else {
        scaled(product, -shift) == Some(ma)
    })
}

/// Decimal digits of `x` (0 for 0).
fn digits(x: u128) -> u32 {
    x.checked_ilog10().map_or(0, |d| d + 1)
}

/// The largest mantissa a `Decimal` holds, 2^96 − 1.
const MANTISSA_MAX: u128 = (1 << 96) - 1;

/// [`quotient`] by long division on the mantissas: the digits of the
/// quotient one at a time while a `Decimal` can hold them; the quotient is
/// exact when nothing is left over, and otherwise rounded once, half-even,
/// to 28 significant digits from the exact remainder.
pub fn quotient_exact(a: Decimal, b: Decimal) -> Option<Decimal> {
    if b.is_zero() {
        return None;
    }
    let negative = a.is_sign_negative() != b.is_sign_negative();
    let (ma, mb) = (a.mantissa().unsigned_abs(), b.mantissa().unsigned_abs());
    // a / b = (ma / mb) × 10^-(sa − sb): the digits of ma / mb, at `scale`.
    let mut scale = i64::from(a.scale()) - i64::from(b.scale());
    let mut n = ma / mb;
    // What is left over, and what it is a fraction of: the rounding compares
    // `rest / of` with one half.
    let (mut rest, mut of) = (ma % mb, mb);
    // mb and n stay below 2^96, so `rest * 10` and `n * 10 + digit` fit.
    while rest != 0 && scale < 28 {
        let rest10 = rest * 10;
        let next = n * 10 + rest10 / mb;
        if next > MANTISSA_MAX {
            break;
        }
        n = next;
        rest = rest10 % mb;
        scale += 1;
    }
    if rest != 0 {
        // It does not terminate where a Decimal can follow it: 28
        // significant digits, the 29th dropped into the remainder.
        if digits(n) > 28 {
            let low = n % 10;
            n /= 10;
            scale -= 1;
            rest += low * mb;
            of = mb * 10;
        }
        let up = match (rest * 2).cmp(&of) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => n % 2 == 1,
        };
        n += u128::from(up);
    }
    let (n, scale) = match u32::try_from(scale) {
        Ok(s) => (n, s),
        // A quotient of more than 28 integer digits has trailing zeros.
        Err(_) => (
            n.checked_mul(10u128.checked_pow(u32::try_from(-scale).ok()?)?)?,
            0,
        ),
    };
    let n = i128::try_from(n).ok()?;
    Decimal::try_from_i128_with_scale(if negative { -n } else { n }, scale).ok()
}

/// A decimal as CLI.md prints it: no exponent, no trailing zeros, `0` never
/// negative.
///
/// ```
/// use baton::value::format_decimal;
/// use rust_decimal::Decimal;
/// assert_eq!(format_decimal(Decimal::new(6250, 2)), "62.5");
/// assert_eq!(format_decimal(Decimal::new(6000, 2)), "60");
/// ```
pub fn format_decimal(d: Decimal) -> String {
    if d.is_zero() {
        return "0".into();
    }
    d.normalize().to_string()
}

/// A decimal rounded half-even to `places` and printed with exactly that
/// many places (health scores: `75.00`).
pub fn format_fixed(d: Decimal, places: u32) -> String {
    match fixed_digits(d, places) {
        Ok((digits, start)) => digits
            .get(start..)
            .and_then(|d| std::str::from_utf8(d).ok())
            .map_or_else(|| rounded(d, places).to_string(), str::to_string),
        Err(r) => r.to_string(),
    }
}

/// `d` rounded half-even to exactly `places` (no negative zero).
fn rounded(d: Decimal, places: u32) -> Decimal {
    let mut r = d.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven);
    if r.is_zero() {
        r = Decimal::ZERO;
    }
    r.rescale(places);
    r
}

/// [`format_fixed`], appended to a byte buffer without building a string.
pub fn push_fixed(out: &mut Vec<u8>, d: Decimal, places: u32) {
    match fixed_digits(d, places) {
        Ok((digits, start)) => out.extend_from_slice(digits.get(start..).unwrap_or_default()),
        Err(r) => out.extend_from_slice(r.to_string().as_bytes()),
    }
}

/// `v` in decimal (sign included), written at the end of `buf`: the
/// integer printer of the ledger writer and the explanations, without the
/// formatting machinery. Returns the written bytes.
pub(crate) fn int_digits(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut n = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    // i64::MIN has 19 digits: there is always room for the sign.
    if v < 0 && i > 0 {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'-';
        }
    }
    buf.get(i..).unwrap_or_default()
}

/// The text of `d` rounded half-even to `places`, as ASCII in a buffer
/// (`Ok(buffer, start)`), or `Err(rounded)` when it does not fit the
/// integer printer and rust_decimal's own must print it.
fn fixed_digits(d: Decimal, places: u32) -> Result<([u8; 48], usize), Decimal> {
    let r = rounded(d, places);
    // Amounts of a ledger or a score fit 64 bits: print them as integers
    // (much cheaper than the general decimal printer); anything larger
    // takes rust_decimal's own.
    let m = r.mantissa();
    match u64::try_from(m.unsigned_abs()) {
        Ok(abs) if places <= 19 => {
            // Digits from the right, the point after `places` of them.
            let mut digits = [0u8; 48];
            let mut i = digits.len();
            let mut n = abs;
            let mut written = 0u32;
            loop {
                if written == places && places > 0 {
                    i -= 1;
                    if let Some(d) = digits.get_mut(i) {
                        *d = b'.';
                    }
                }
                i -= 1;
                if let Some(d) = digits.get_mut(i) {
                    *d = b'0' + (n % 10) as u8;
                }
                n /= 10;
                written += 1;
                if n == 0 && written > places {
                    break;
                }
            }
            if m < 0 {
                i -= 1;
                if let Some(d) = digits.get_mut(i) {
                    *d = b'-';
                }
            }
            Ok((digits, i))
        }
        _ => Err(r),
    }
}

/// An amount printed in its currency's minor unit (`1234.50`, `15000`).
pub fn format_money(amount: Decimal, currency: Currency) -> String {
    format_fixed(amount, currency.minor_units())
}

/// A timestamp as `2026-11-22T14:00:00Z`.
pub fn format_timestamp(t: i64) -> String {
    match chrono::DateTime::from_timestamp(t, 0) {
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => t.to_string(),
    }
}

/// A duration as a literal (`1d12h`, `0m`).
pub fn format_duration(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let mut s = seconds.unsigned_abs();
    let mut out = String::from(sign);
    for (unit, len) in [("d", 86_400u64), ("h", 3_600), ("m", 60), ("s", 1)] {
        if s >= len {
            out.push_str(&format!("{}{unit}", s / len));
            s %= len;
        }
    }
    if out.len() == sign.len() {
        out.push_str("0m");
    }
    out
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

    #[test]
    fn quotients_keep_28_significant_digits_half_even() {
        let d = |s: &str| s.parse::<Decimal>().expect(s);
        let cases = [
            ("10", "3", "3.333333333333333333333333333"),
            ("200", "3", "66.66666666666666666666666667"),
            ("1000000", "7", "142857.1428571428571428571429"),
            ("-10", "3", "-3.333333333333333333333333333"),
            ("1", "3", "0.3333333333333333333333333333"),
            ("2", "3", "0.6666666666666666666666666667"),
            ("1", "4", "0.25"),
            ("1", "0.001", "1000"),
            ("1", "0.003", "333.3333333333333333333333333"),
            // A quotient that terminates is exact, 29 digits included.
            (
                "1.0000000000000000000000000005",
                "1",
                "1.0000000000000000000000000005",
            ),
            (
                "12345678901234567890.123456789",
                "1",
                "12345678901234567890.123456789",
            ),
            (
                "79228162514264337593543950335",
                "10",
                "7922816251426433759354395033.5",
            ),
            (
                "79228162514264337593543950335",
                "1",
                "79228162514264337593543950335",
            ),
            (
                "79228162514264337593543950335",
                "-1",
                "-79228162514264337593543950335",
            ),
            (
                "79228162514264337593543950335",
                "3",
                "26409387504754779197847983445",
            ),
            // One that does not: 28 significant digits, here of a 29-digit
            // integer part (…83444.67, the 29th digit a 4, rounds down).
            (
                "79228162514264337593543950334",
                "3",
                "26409387504754779197847983440",
            ),
            // …38|333…: the digit past the 28th a 3, rounded down.
            (
                "1.0000000000000000000000000015",
                "3",
                "0.3333333333333333333333333338",
            ),
            // Ties at the 28-place cap go to the even neighbour.
            (
                "0.0000000000000000000000000001",
                "2",
                "0.0000000000000000000000000000",
            ),
            (
                "0.0000000000000000000000000003",
                "2",
                "0.0000000000000000000000000002",
            ),
            (
                "0.0000000000000000000000000005",
                "2",
                "0.0000000000000000000000000002",
            ),
        ];
        for (a, b, want) in cases {
            for f in [quotient, quotient_exact] {
                let got = f(d(a), d(b)).expect("a quotient");
                assert_eq!(got.to_string(), want, "{a} / {b}");
            }
        }
        assert_eq!(quotient(d("1"), Decimal::ZERO), None);
        assert_eq!(quotient(Decimal::MAX, d("0.1")), None);
    }

    fn any_decimal() -> impl Strategy<Value = Decimal> {
        (any::<i128>(), 0u32..=28, 1u32..=29).prop_map(|(m, s, digits)| {
            // Mantissas of every length, up to the full 96 bits.
            let m = m % 10i128.pow(digits).min(1i128 << 96);
            Decimal::from_i128_with_scale(m, s)
        })
    }

    proptest! {
        /// The quick path agrees with the long division everywhere, and
        /// a result keeps at most 28 significant digits unless it is exact.
        #[test]
        fn quotient_agrees_with_long_division(a in any_decimal(), b in any_decimal()) {
            prop_assume!(!b.is_zero());
            let quick = quotient(a, b);
            prop_assert_eq!(quick, quotient_exact(a, b), "{} / {}", a, b);
            if let Some(q) = quick {
                prop_assert!(
                    digits(q.mantissa().unsigned_abs()) <= 28
                        || q.scale() == 0
                        || times_is(q, b, a) != Some(false),
                    "{} / {} = {}", a, b, q
                );
            }
        }
    }

    /// The integer fast path prints exactly what rust_decimal prints.
    #[test]
    fn format_fixed_agrees_with_rust_decimal() {
        let reference = |d: Decimal, places: u32| {
            let mut r = d.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven);
            if r.is_zero() {
                r = Decimal::ZERO;
            }
            r.rescale(places);
            r.to_string()
        };
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..20_000u64 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let mantissa = i128::from((x >> (i % 48)) as i64) * if i % 3 == 0 { -1 } else { 1 };
            let d = Decimal::from_i128_with_scale(mantissa, u32::try_from(i % 9).unwrap());
            for places in [0, 2, 6] {
                assert_eq!(
                    format_fixed(d, places),
                    reference(d, places),
                    "{d} at {places}"
                );
                let mut pushed = b"x".to_vec();
                push_fixed(&mut pushed, d, places);
                assert_eq!(pushed, format!("x{}", reference(d, places)).into_bytes());
            }
        }
        for (d, places, want) in [
            ("-0.004", 2, "0.00"),
            ("1e20", 2, "100000000000000000000.00"),
            ("0.5", 0, "0"),
            ("-2.5", 0, "-2"),
        ] {
            let d = if d.contains('e') {
                Decimal::from_scientific(d).unwrap()
            } else {
                Decimal::from_str_exact(d).unwrap()
            };
            assert_eq!(format_fixed(d, places), want);
        }
    }

    #[test]
    fn decimals_print_without_trailing_zeros() {
        assert_eq!(format_decimal(Decimal::new(-500, 2)), "-5");
        assert_eq!(format_decimal(Decimal::new(0, 3)), "0");
        assert_eq!(format_decimal(Decimal::new(-0, 3)), "0");
        assert_eq!(format_fixed(Decimal::new(3333333, 5), 2), "33.33");
        assert_eq!(format_fixed(Decimal::new(100, 0), 2), "100.00");
        assert_eq!(format_fixed(Decimal::new(-1, 3), 2), "0.00");
    }

    #[test]
    fn money_uses_minor_units() {
        let jpy = Currency::parse("JPY").unwrap();
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(format_money(Decimal::new(15000, 0), jpy), "15000");
        assert_eq!(format_money(Decimal::new(-675, 0), usd), "-675.00");
    }

    #[test]
    fn durations_print_as_literals() {
        assert_eq!(format_duration(129_600), "1d12h");
        assert_eq!(format_duration(0), "0m");
        assert_eq!(format_duration(5_400), "1h30m");
    }

    #[test]
    fn sets_are_sorted_and_deduplicated() {
        let s = TextSet::new(["b", "a", "b"]);
        assert_eq!(s.len(), 2);
        assert!(s.contains("a") && !s.contains("c"));
        assert!(TextSet::new(["a"]).is_subset(&s));
        assert!(IntSet::new([3, 1, 3]).is_subset(&IntSet::new([1, 2, 3])));
    }
}
