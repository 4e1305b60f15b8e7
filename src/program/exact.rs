//! Exact fractions for ledger amounts: every amount is a product and
//! quotient of decimals, kept as one integer fraction and rounded once, at
//! the end of its line, to the currency's minor unit.

use rust_decimal::Decimal;

/// How a line's exact amount is rounded to the minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Halves to the even neighbour (the default).
    HalfEven,
    /// Halves away from zero: −0.125 → −0.13.
    HalfUp,
    /// Toward zero.
    Down,
}

/// An exact fraction `num / den` with `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frac {
    num: i128,
    den: i128,
}

fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    // Most ledger values fit 64 bits, where division is many times
    // cheaper than 128-bit division.
    if let (Ok(mut x), Ok(mut y)) = (u64::try_from(a), u64::try_from(b)) {
        while y != 0 {
            (x, y) = (y, x % y);
        }
        return i128::from(x.max(1));
    }
    while b != 0 {
        (a, b) = (b, a % b);
    }
    // gcd ≤ min(|a|, |b|) ≤ i128::MAX unless both are i128::MIN's magnitude.
    i128::try_from(a).unwrap_or(1).max(1)
}

/// `a / b` (truncating), in 64 bits when both fit: 128-bit division is a
/// slow library call.
fn quot(a: i128, b: i128) -> i128 {
    match (i64::try_from(a), i64::try_from(b)) {
        (Ok(x), Ok(y)) if y != 0 && !(x == i64::MIN && y == -1) => i128::from(x / y),
        _ => a / b,
    }
}

/// `a % b`, likewise.
fn rem(a: i128, b: i128) -> i128 {
    match (i64::try_from(a), i64::try_from(b)) {
        (Ok(x), Ok(y)) if y != 0 && !(x == i64::MIN && y == -1) => i128::from(x % y),
        _ => a % b,
    }
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

impl Frac {
    /// `num / den`; `None` when `den` is zero or a value overflows.
    pub fn new(num: i128, den: i128) -> Option<Frac> {
        if den == 0 {
            return None;
        }
        let (num, den) = if den < 0 {
            (num.checked_neg()?, den.checked_neg()?)
        } else {
            (num, den)
        };
        let g = gcd(num, den);
        Some(Frac {
            num: quot(num, g),
            den: quot(den, g),
        })
    }

    /// A decimal, exactly.
    pub fn from_decimal(d: Decimal) -> Option<Frac> {
        Frac::new(d.mantissa(), pow10(d.scale())?)
    }

    /// An integer.
    pub fn int(i: i64) -> Frac {
        Frac {
            num: i128::from(i),
            den: 1,
        }
    }

    /// `self × other`, reducing crosswise first to keep numbers small.
    ///
    /// Both factors are in lowest terms (every `Frac` is built reduced), so
    /// once the common factors of each numerator with the other's
    /// denominator are divided out the product is in lowest terms too, and
    /// needs no third gcd; the denominators stay positive.
    pub fn checked_mul(self, o: Frac) -> Option<Frac> {
        let g1 = gcd(self.num, o.den);
        let g2 = gcd(o.num, self.den);
        let product = Frac {
            num: quot(self.num, g1).checked_mul(quot(o.num, g2))?,
            den: quot(self.den, g2).checked_mul(quot(o.den, g1))?,
        };
        debug_assert_eq!(
            gcd(product.num, product.den),
            1,
            "{product:?} in lowest terms"
        );
        Some(product)
    }

    /// `self ÷ other`; `None` when `other` is zero.
    pub fn checked_div(self, o: Frac) -> Option<Frac> {
        if o.num == 0 {
            return None;
        }
        self.checked_mul(Frac::new(o.den, o.num)?)
    }

    /// The value rounded once to `places` decimals with `mode`.
    pub fn round(self, places: u32, mode: Rounding) -> Option<Decimal> {
        let scaled = self.num.checked_mul(pow10(places)?)?;
        let q = quot(scaled, self.den);
        let r = rem(scaled, self.den);
        let sign: i128 = if scaled < 0 { -1 } else { 1 };
        let twice = r.abs().checked_mul(2)?;
        let up = match mode {
            Rounding::Down => false,
            Rounding::HalfUp => twice >= self.den,
            Rounding::HalfEven => twice > self.den || (twice == self.den && q % 2 != 0),
        };
        let q = if up { q.checked_add(sign)? } else { q };
        let mut d = Decimal::try_from_i128_with_scale(q, places).ok()?;
        if d.is_zero() {
            d = Decimal::ZERO;
            d.rescale(places);
        }
        Some(d)
    }

    /// Whether the value is exactly zero.
    pub fn is_zero(self) -> bool {
        self.num == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn rounding_modes_on_exact_halves() {
        let x = Frac::from_decimal(d("-0.125")).unwrap();
        assert_eq!(x.round(2, Rounding::HalfUp).unwrap().to_string(), "-0.13");
        assert_eq!(x.round(2, Rounding::HalfEven).unwrap().to_string(), "-0.12");
        assert_eq!(x.round(2, Rounding::Down).unwrap().to_string(), "-0.12");
        let y = Frac::from_decimal(d("0.135")).unwrap();
        assert_eq!(y.round(2, Rounding::HalfEven).unwrap().to_string(), "0.14");
    }

    #[test]
    fn prorated_thirds_round_once() {
        // 5/12 × 2800 = 1166.666… → 1166.67
        let v = Frac::new(5, 12)
            .unwrap()
            .checked_mul(Frac::int(2800))
            .unwrap();
        assert_eq!(v.round(2, Rounding::HalfUp).unwrap().to_string(), "1166.67");
        assert_eq!(v.round(0, Rounding::Down).unwrap().to_string(), "1166");
    }

    #[test]
    fn zero_is_never_negative() {
        let v = Frac::from_decimal(d("-0.001")).unwrap();
        assert_eq!(v.round(2, Rounding::HalfEven).unwrap().to_string(), "0.00");
    }
}
