//! A compiled `commission` block (LANGUAGE.md §8): the fixed deal and
//! event columns, the clawback clause, bonus rules and rounding.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::exact::{Frac, Rounding};
use super::expr::Expr;
use crate::record::Schema;
use crate::value::format_decimal;

// Every fixed column has its slot named here, whether the engine reads it
// by slot or not.
/// Slots of the fixed deal columns (CLI.md).
#[allow(dead_code)]
pub mod deal_slot {
    /// `deal`
    pub const ID: u16 = 0;
    /// `rep`
    pub const REP: u16 = 1;
    /// `amount`: the commission paid.
    pub const AMOUNT: u16 = 2;
    /// `currency`
    pub const CURRENCY: u16 = 3;
    /// `deal_value`: the contract value the commission was paid on.
    pub const VALUE: u16 = 4;
    /// `closed_on`
    pub const CLOSED_ON: u16 = 5;
}

/// Slots of the fixed event columns (CLI.md).
#[allow(dead_code)]
pub mod event_slot {
    /// `event`
    pub const ID: u16 = 0;
    /// `deal`
    pub const DEAL: u16 = 1;
    /// `type`
    pub const TYPE: u16 = 2;
    /// `on`: a date, or a timestamp converted to the policy's zone.
    pub const ON: u16 = 3;
    /// `reason`
    pub const REASON: u16 = 4;
    /// `lost_value`
    pub const LOST: u16 = 5;
    /// `added_value`
    pub const ADDED: u16 = 6;
    /// `rep`
    pub const REP: u16 = 7;
    /// `team`
    pub const TEAM: u16 = 8;
}

/// A line's status (CLI.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Computed and booked.
    Applied,
    /// `except when` matched.
    Excluded,
    /// Outside the retention window.
    OutsideWindow,
    /// The whole commission was already clawed back.
    NothingLeft,
    /// An upgrade no bonus rule pays for.
    NotEligible,
    /// The event or deal could not be processed.
    Error,
}

impl Status {
    /// Every status, in the order CLI.md ("Clawback inputs and ledger")
    /// lists them.
    pub const ALL: [Status; 6] = [
        Status::Applied,
        Status::Excluded,
        Status::OutsideWindow,
        Status::NothingLeft,
        Status::NotEligible,
        Status::Error,
    ];

    /// The status as written in the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Applied => "applied",
            Status::Excluded => "excluded",
            Status::OutsideWindow => "outside_window",
            Status::NothingLeft => "nothing_left",
            Status::NotEligible => "not_eligible",
            Status::Error => "error",
        }
    }

    /// The status a ledger cell names, if any.
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The type of a lifecycle event of a deal (CLI.md "Clawback inputs").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// The customer cancelled.
    Cancellation,
    /// The customer downgraded (`lost_value`).
    Downgrade,
    /// A cancelled deal is active again.
    Reinstatement,
    /// The customer upgraded (`added_value`).
    Upgrade,
}

impl EventType {
    /// Every type, in the order CLI.md ("Clawback inputs and ledger")
    /// lists them.
    pub const ALL: [EventType; 4] = [
        EventType::Cancellation,
        EventType::Downgrade,
        EventType::Reinstatement,
        EventType::Upgrade,
    ];

    /// The type as the `type` column writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Cancellation => "cancellation",
            EventType::Downgrade => "downgrade",
            EventType::Reinstatement => "reinstatement",
            EventType::Upgrade => "upgrade",
        }
    }

    /// The type a `type` cell names, if any.
    pub fn parse(text: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// The longest day count a plan may name (a clawback window, a band's
/// bound, a retention period): 36,500 days, a hundred years. Larger counts
/// are check errors, so that every day count the checker and the ledger
/// compute with is far from the integer range.
pub const MAX_DAYS: i64 = 36_500;

/// A clawback schedule.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// Inclusive day bands covering 0 … window: (from, to, rate).
    Bands(Vec<(i64, i64, Decimal)>),
    /// rate = (window − days) / window.
    Prorated,
}

/// A compiled `clawback` clause.
#[derive(Debug, Clone)]
pub struct ClawbackDef {
    /// Window in days (days retained 0 … window are inside).
    pub window: i64,
    /// Schedule.
    pub schedule: Schedule,
    /// `except when`.
    pub except: Option<Expr>,
}

/// A compiled upgrade bonus rule.
#[derive(Debug, Clone)]
pub struct UpgradeBonus {
    /// Bonus name (`bonus:NAME`).
    pub name: String,
    /// Rate.
    pub rate: Decimal,
    /// The money or number the rate applies to.
    pub base: Expr,
    /// Who is paid (a text).
    pub to: Expr,
    /// Condition.
    pub when: Option<Expr>,
}

/// A compiled retention bonus.
#[derive(Debug, Clone)]
pub struct RetentionBonus {
    /// Rate of the deal's amount.
    pub rate: Decimal,
    /// Days the deal must stay.
    pub days: i64,
    /// Deal slot of its anchor date.
    pub anchor: u16,
    /// Ledger `kind`: `bonus:NAME`.
    pub kind: String,
    /// `rate` as the ledger shows it.
    pub rate_text: String,
    /// The rate as a percentage, for explanations (`2%`).
    pub percent: String,
}

impl RetentionBonus {
    /// A retention bonus, with the texts every line of it shows computed
    /// once.
    pub fn new(name: String, rate: Decimal, days: i64, anchor: u16) -> RetentionBonus {
        let kind = format!("bonus:{name}");
        let rate_text = Frac::from_decimal(rate).map(rate_text).unwrap_or_default();
        let percent = percent(rate);
        RetentionBonus {
            rate,
            days,
            anchor,
            kind,
            rate_text,
            percent,
        }
    }
}

/// A compiled `commission` block.
#[derive(Debug, Clone)]
pub struct CommissionDef {
    /// Plan name.
    pub name: String,
    /// Deal columns: fixed, then declared, then other columns mentioned.
    pub deal: Arc<Schema>,
    /// Event columns, likewise.
    pub event: Arc<Schema>,
    /// Deal slot of the clawback anchor (`closed_on` when there is no clause).
    pub anchor: u16,
    /// The clawback clause.
    pub clawback: Option<ClawbackDef>,
    /// Upgrade bonus rules in order.
    pub upgrades: Vec<UpgradeBonus>,
    /// The retention bonus.
    pub retention: Option<RetentionBonus>,
    /// Rounding mode of every line.
    pub rounding: Rounding,
}

/// `rate` shown rounded to 6 places, without trailing zeros.
pub fn rate_text(rate: Frac) -> String {
    rate.round(6, Rounding::HalfEven)
        .map(format_decimal)
        .unwrap_or_default()
}

/// A rate as a percentage, for explanations (`2%`).
pub fn percent(rate: Decimal) -> String {
    format!("{}%", format_decimal(rate * Decimal::ONE_HUNDRED))
}
