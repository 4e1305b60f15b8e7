//! Exact decimal arithmetic and printing: quotients as LANGUAGE.md §4
//! says, and fixed-place text without binary floating point.

use rust_decimal::{Decimal, RoundingStrategy};

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

/// A decimal as CLI.md ("Value encoding in output") prints it: no exponent, no trailing zeros, `0` never
/// negative.
/// (`62.50` prints `62.5`, `60.00` prints `60`).
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
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
}
