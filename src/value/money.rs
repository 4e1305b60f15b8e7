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

    /// Decimal places of the currency's minor unit, its ISO 4217 exponent
    /// (see [`Currency::exponent`]); 2 for a code without one, which is
    /// only ever shown, never computed with (the ledger refuses such a
    /// code).
    ///
    /// ```
    /// use baton::Currency;
    /// let places = |c| Currency::parse(c).map(|c| c.minor_units());
    /// assert_eq!(places("USD"), Some(2));
    /// assert_eq!(places("JPY"), Some(0));
    /// assert_eq!(places("BHD"), Some(3));
    /// ```
    pub fn minor_units(&self) -> u32 {
        self.exponent().unwrap_or(2)
    }

    /// The exponent ISO 4217 gives the code: how many decimals its minor
    /// unit has. `None` for a code that is not in the table below, and for
    /// the codes ISO 4217 lists without a minor unit (precious metals,
    /// units of account, `XTS`, `XXX`).
    ///
    /// The table holds every code of ISO 4217's list of current currencies
    /// and funds (list one, as amended to 2026), and the codes withdrawn
    /// since 2018 that older deals still carry (`ANG`, `BGN`, `CUC`,
    /// `HRK`, `MRO`, `SLL`, `STD`, `VEF`, `ZWL`), each with the exponent
    /// it had.
    ///
    /// ```
    /// use baton::Currency;
    /// let exponent = |c| Currency::parse(c).and_then(|c| c.exponent());
    /// assert_eq!(exponent("KWD"), Some(3));
    /// assert_eq!(exponent("CLP"), Some(0));
    /// assert_eq!(exponent("CLF"), Some(4));
    /// assert_eq!(exponent("XAU"), None); // listed, no minor unit
    /// assert_eq!(exponent("ABC"), None); // not a currency
    /// ```
    pub fn exponent(&self) -> Option<u32> {
        match iso_4217(&self.0) {
            Iso::Minor(e) => Some(u32::from(e)),
            Iso::NoMinorUnit | Iso::Unknown => None,
        }
    }

    /// Whether ISO 4217 lists the code at all (with or without a minor
    /// unit).
    pub fn is_listed(&self) -> bool {
        !matches!(iso_4217(&self.0), Iso::Unknown)
    }

    /// Why the code cannot carry money paid in it: `None` when it can (a
    /// listed code with a minor unit).
    ///
    /// ```
    /// use baton::Currency;
    /// let why = |c| Currency::parse(c).and_then(|c| c.not_payable());
    /// assert_eq!(why("EUR"), None);
    /// assert_eq!(why("ABC").as_deref(), Some("\"ABC\" is not an ISO 4217 currency code"));
    /// assert_eq!(why("XAU").as_deref(), Some("XAU has no minor unit in ISO 4217"));
    /// ```
    pub fn not_payable(&self) -> Option<String> {
        match iso_4217(&self.0) {
            Iso::Minor(_) => None,
            Iso::NoMinorUnit => Some(format!("{self} has no minor unit in ISO 4217")),
            Iso::Unknown => Some(format!(
                "{:?} is not an ISO 4217 currency code",
                self.as_str()
            )),
        }
    }
}

/// What ISO 4217 says of a code.
enum Iso {
    /// A currency or fund with this many decimals.
    Minor(u8),
    /// Listed without a minor unit.
    NoMinorUnit,
    /// Not listed.
    Unknown,
}

/// The ISO 4217 table (see [`Currency::exponent`]). Most codes have two
/// decimals; the others are listed first.
fn iso_4217(code: &[u8; 3]) -> Iso {
    match code {
        // No minor unit in use.
        b"BIF" | b"CLP" | b"DJF" | b"GNF" | b"ISK" | b"JPY" | b"KMF" | b"KRW" | b"PYG" | b"RWF"
        | b"UGX" | b"UYI" | b"VND" | b"VUV" | b"XAF" | b"XOF" | b"XPF" => Iso::Minor(0),
        // Thousandths.
        b"BHD" | b"IQD" | b"JOD" | b"KWD" | b"LYD" | b"OMR" | b"TND" => Iso::Minor(3),
        // Units of account with four decimals.
        b"CLF" | b"UYW" => Iso::Minor(4),
        // Hundredths.
        b"AED" | b"AFN" | b"ALL" | b"AMD" | b"AOA" | b"ARS" | b"AUD" | b"AWG" | b"AZN" | b"BAM"
        | b"BBD" | b"BDT" | b"BMD" | b"BND" | b"BOB" | b"BOV" | b"BRL" | b"BSD" | b"BTN"
        | b"BWP" | b"BYN" | b"BZD" | b"CAD" | b"CDF" | b"CHE" | b"CHF" | b"CHW" | b"CNY"
        | b"COP" | b"COU" | b"CRC" | b"CUP" | b"CVE" | b"CZK" | b"DKK" | b"DOP" | b"DZD"
        | b"EGP" | b"ERN" | b"ETB" | b"EUR" | b"FJD" | b"FKP" | b"GBP" | b"GEL" | b"GHS"
        | b"GIP" | b"GMD" | b"GTQ" | b"GYD" | b"HKD" | b"HNL" | b"HTG" | b"HUF" | b"IDR"
        | b"ILS" | b"INR" | b"IRR" | b"JMD" | b"KES" | b"KGS" | b"KHR" | b"KPW" | b"KYD"
        | b"KZT" | b"LAK" | b"LBP" | b"LKR" | b"LRD" | b"LSL" | b"MAD" | b"MDL" | b"MGA"
        | b"MKD" | b"MMK" | b"MNT" | b"MOP" | b"MRU" | b"MUR" | b"MVR" | b"MWK" | b"MXN"
        | b"MXV" | b"MYR" | b"MZN" | b"NAD" | b"NGN" | b"NIO" | b"NOK" | b"NPR" | b"NZD"
        | b"PAB" | b"PEN" | b"PGK" | b"PHP" | b"PKR" | b"PLN" | b"QAR" | b"RON" | b"RSD"
        | b"RUB" | b"SAR" | b"SBD" | b"SCR" | b"SDG" | b"SEK" | b"SGD" | b"SHP" | b"SLE"
        | b"SOS" | b"SRD" | b"SSP" | b"STN" | b"SVC" | b"SYP" | b"SZL" | b"THB" | b"TJS"
        | b"TMT" | b"TOP" | b"TRY" | b"TTD" | b"TWD" | b"TZS" | b"UAH" | b"USD" | b"USN"
        | b"UYU" | b"UZS" | b"VED" | b"VES" | b"WST" | b"XAD" | b"XCD" | b"XCG" | b"YER"
        | b"ZAR" | b"ZMW" | b"ZWG" => Iso::Minor(2),
        // Withdrawn since 2018, still found on older deals.
        b"ANG" | b"BGN" | b"CUC" | b"HRK" | b"MRO" | b"SLL" | b"STD" | b"VEF" | b"ZWL" => {
            Iso::Minor(2)
        }
        // Precious metals, units of account, testing and "no currency".
        b"XAG" | b"XAU" | b"XBA" | b"XBB" | b"XBC" | b"XBD" | b"XDR" | b"XPD" | b"XPT" | b"XSU"
        | b"XTS" | b"XUA" | b"XXX" => Iso::NoMinorUnit,
        _ => Iso::Unknown,
    }
}

/// Why an amount is not money in a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotMoney {
    /// It has digits finer than the minor unit (`100.005` USD).
    Finer,
    /// At the minor unit it needs more digits than a decimal holds.
    OutOfRange,
}

/// `amount` in whole minor units of a currency with `minor` decimals
/// (`12.50` at 2 → 1250; trailing zeros do not count: `12.500` is 1250).
/// The result always fits a decimal at `minor` places again: `100.005`
/// at 2 is [`NotMoney::Finer`], `8e27` at 2 [`NotMoney::OutOfRange`].
pub fn in_minor_units(amount: Decimal, minor: u32) -> Result<i128, NotMoney> {
    let n = amount.normalize();
    let Some(up) = minor.checked_sub(n.scale()) else {
        return Err(NotMoney::Finer);
    };
    let units = 10i128
        .checked_pow(up)
        .and_then(|p| n.mantissa().checked_mul(p))
        .ok_or(NotMoney::OutOfRange)?;
    if units.unsigned_abs() > MAX_MANTISSA {
        return Err(NotMoney::OutOfRange);
    }
    Ok(units)
}

/// Whole minor units back to an amount with `minor` decimals; `None` when
/// a decimal cannot hold it.
pub fn from_minor_units(units: i128, minor: u32) -> Option<Decimal> {
    if units.unsigned_abs() > MAX_MANTISSA {
        return None;
    }
    Decimal::try_from_i128_with_scale(units, minor).ok()
}

/// The largest amount a decimal holds at `minor` places
/// (`792281625142643375935439503.35` at 2).
pub fn max_at(minor: u32) -> Decimal {
    from_minor_units(MAX_MANTISSA as i128, minor).unwrap_or(Decimal::MAX)
}

/// A decimal's largest mantissa, 2^96 − 1.
const MAX_MANTISSA: u128 = (1 << 96) - 1;

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
        let bhd = Currency::parse("BHD").unwrap();
        assert_eq!(format_money(Decimal::new(-125, 1), bhd), "-12.500");
    }

    #[test]
    fn iso_4217_exponents() {
        let exponent = |c: &str| Currency::parse(c).and_then(|c| c.exponent());
        for (codes, e) in [
            (
                "CLP ISK VND UGX JPY KRW PYG XAF XOF XPF BIF DJF GNF KMF RWF VUV UYI",
                Some(0),
            ),
            ("BHD KWD OMR JOD TND IQD LYD", Some(3)),
            ("CLF UYW", Some(4)),
            (
                "USD EUR GBP CHF CNY INR BRL MXN ZAR IDR HUF XCG ZWG SLE VED ANG HRK",
                Some(2),
            ),
            ("XAU XAG XPT XPD XDR XBA XBB XBC XBD XSU XUA XTS XXX", None),
            ("ABC QQQ EEK ZZZ", None),
        ] {
            for c in codes.split(' ') {
                assert_eq!(exponent(c), e, "{c}");
            }
        }
        let listed = |c: &str| Currency::parse(c).is_some_and(|c| c.is_listed());
        assert!(listed("XAU") && listed("XXX") && listed("USD"));
        assert!(!listed("ABC"));
    }

    #[test]
    fn minor_units_round_trip_and_refuse_what_is_not_money() {
        let d = |s: &str| Decimal::from_str_exact(s).unwrap();
        assert_eq!(in_minor_units(d("100.000"), 2), Ok(10_000));
        assert_eq!(in_minor_units(d("-0.5"), 0), Err(NotMoney::Finer));
        assert_eq!(in_minor_units(d("100.005"), 3), Ok(100_005));
        assert_eq!(in_minor_units(d("100.005"), 2), Err(NotMoney::Finer));
        let max = d("792281625142643375935439503.35");
        assert_eq!(max_at(2), max);
        assert_eq!(max_at(0), Decimal::MAX);
        assert!(in_minor_units(max, 2).is_ok());
        assert!(in_minor_units(-max, 2).is_ok());
        assert_eq!(
            in_minor_units(d("792281625142643375935439503.4"), 2),
            Err(NotMoney::OutOfRange)
        );
        assert_eq!(in_minor_units(Decimal::MAX, 1), Err(NotMoney::OutOfRange));
        assert_eq!(
            in_minor_units(d("8000000000000000000000000000"), 2),
            Err(NotMoney::OutOfRange)
        );
        let units = in_minor_units(max, 2).unwrap();
        assert_eq!(from_minor_units(units, 2), Some(max));
        assert_eq!(from_minor_units(units + 1, 2), None);
        assert_eq!(from_minor_units(-units - 1, 2), None);
    }
}
