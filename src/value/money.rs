//! Currencies and money: an exact amount in one ISO 4217 currency.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use super::decimal::format_fixed;

/// An ISO-4217 currency code: three capital letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// ISO-4217's "no currency", used as a placeholder after an error.
    pub const XXX: Currency = Currency(*b"XXX");

    /// Parses three ASCII capitals.
    ///
    /// ```
    /// use baton::Currency;
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

/// An amount printed in its currency's minor unit (`1234.50`, `15000`).
pub fn format_money(amount: Decimal, currency: Currency) -> String {
    format_fixed(amount, currency.minor_units())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_uses_minor_units() {
        let jpy = Currency::parse("JPY").unwrap();
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(format_money(Decimal::new(15000, 0), jpy), "15000");
        assert_eq!(format_money(Decimal::new(-675, 0), usd), "-675.00");
    }
}
