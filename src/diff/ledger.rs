//! `baton diff clawback`: two commission plans over the same deals and
//! events. Per rep and currency, the summary under each plan and the
//! difference; totals per currency; and every ledger key (deal, event,
//! kind, currency) whose amount differs. The figures are those of two
//! plain runs' `--summary`.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::clawback::{Ledger, LedgerLine, Status, SummaryError, SummaryRow};
use crate::value::format_money;

/// One (rep, currency): the summary under each plan.
#[derive(Debug, Clone, PartialEq)]
pub struct RepDiff {
    /// Rep.
    pub rep: String,
    /// Currency.
    pub currency: String,
    /// Under the old plan (zeros when the rep has no line there).
    pub old: SummaryRow,
    /// Under the new plan, likewise.
    pub new: SummaryRow,
}

/// A ledger key whose amount differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyDiff {
    /// Deal.
    pub deal: String,
    /// Event (empty for a retention line).
    pub event: String,
    /// Kind of line.
    pub kind: String,
    /// Currency.
    pub currency: String,
    /// Amount under the old plan (`None`: no such line, or an error line).
    pub old: Option<String>,
    /// Under the new plan, likewise.
    pub new: Option<String>,
}

/// What a change of commission plan does.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerDiff {
    /// The old plan: name and versions.
    pub from: String,
    /// The new plan.
    pub to: String,
    /// Per rep and currency, in rep then currency order.
    pub reps: Vec<RepDiff>,
    /// Per currency: the sums of the reps' rows under each plan.
    pub totals: Vec<RepDiff>,
    /// Every key whose amount differs, in the new ledger's order, then the
    /// old ledger's keys the new one lacks.
    pub keys: Vec<KeyDiff>,
    /// Error lines under the old plan and under the new.
    pub errors: (u64, u64),
    /// Ledger keys under either plan.
    pub keys_total: u64,
}

fn zero(rep: &str, currency: &str) -> SummaryRow {
    SummaryRow {
        rep: rep.to_string(),
        currency: currency.to_string(),
        paid: Decimal::ZERO,
        clawed_back: Decimal::ZERO,
        reinstated: Decimal::ZERO,
        bonuses: Decimal::ZERO,
        net: Decimal::ZERO,
    }
}

type Key = (String, String, String, String);

fn key(l: &LedgerLine) -> Key {
    (
        l.deal.to_string(),
        l.event.to_string(),
        l.kind.to_string(),
        l.currency.to_string(),
    )
}

fn money(d: Decimal, currency: &str) -> String {
    match crate::value::Currency::parse(currency) {
        Some(c) => format_money(d, c),
        None => crate::value::format_decimal(d),
    }
}

impl LedgerDiff {
    /// Sets two ledgers side by side. `Err` when a summary sum leaves the
    /// decimal range (as `--summary` would).
    pub fn of(
        from: &str,
        old: &Ledger,
        to: &str,
        new: &Ledger,
    ) -> Result<LedgerDiff, SummaryError> {
        let (so, sn) = (old.summary()?, new.summary()?);
        let mut reps: Vec<RepDiff> = Vec::new();
        let find = |rows: &[SummaryRow], rep: &str, cur: &str| {
            rows.iter()
                .find(|r| r.rep == rep && r.currency == cur)
                .cloned()
                .unwrap_or_else(|| zero(rep, cur))
        };
        for r in so.iter().chain(&sn) {
            if reps
                .iter()
                .any(|x| x.rep == r.rep && x.currency == r.currency)
            {
                continue;
            }
            reps.push(RepDiff {
                rep: r.rep.clone(),
                currency: r.currency.clone(),
                old: find(&so, &r.rep, &r.currency),
                new: find(&sn, &r.rep, &r.currency),
            });
        }
        reps.sort_by(|a, b| (&a.rep, &a.currency).cmp(&(&b.rep, &b.currency)));
        let mut totals: Vec<RepDiff> = Vec::new();
        for r in &reps {
            let t = match totals.iter_mut().find(|t| t.currency == r.currency) {
                Some(t) => t,
                None => {
                    totals.push(RepDiff {
                        rep: String::new(),
                        currency: r.currency.clone(),
                        old: zero("", &r.currency),
                        new: zero("", &r.currency),
                    });
                    match totals.last_mut() {
                        Some(t) => t,
                        None => continue,
                    }
                }
            };
            add(&mut t.old, &r.old);
            add(&mut t.new, &r.new);
        }
        totals.sort_by(|a, b| a.currency.cmp(&b.currency));
        let amounts = |l: &Ledger| -> HashMap<Key, Option<Decimal>> {
            let mut m: HashMap<Key, Option<Decimal>> = HashMap::new();
            for line in &l.lines {
                let a = (line.status != Status::Error)
                    .then_some(line.amount)
                    .flatten();
                let e = m.entry(key(line)).or_insert(Some(Decimal::ZERO));
                *e = match (*e, a) {
                    (Some(x), Some(y)) => x.checked_add(y),
                    _ => None,
                };
            }
            m
        };
        let (ao, an) = (amounts(old), amounts(new));
        let mut keys = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for line in new.lines.iter().chain(&old.lines) {
            let k = key(line);
            if !seen.insert(k.clone()) {
                continue;
            }
            let (x, y) = (ao.get(&k).copied().flatten(), an.get(&k).copied().flatten());
            if x != y {
                keys.push(KeyDiff {
                    old: x.map(|d| money(d, &k.3)),
                    new: y.map(|d| money(d, &k.3)),
                    deal: k.0,
                    event: k.1,
                    kind: k.2,
                    currency: k.3,
                });
            }
        }
        let errors =
            |l: &Ledger| l.lines.iter().filter(|x| x.status == Status::Error).count() as u64;
        Ok(LedgerDiff {
            keys_total: seen.len() as u64,
            from: from.to_string(),
            to: to.to_string(),
            reps,
            totals,
            keys,
            errors: (errors(old), errors(new)),
        })
    }

    /// Whether anything differs.
    pub fn changed(&self) -> bool {
        !self.keys.is_empty() || self.errors.0 != self.errors.1
    }
}

/// Adds a rep's row into a total (sums that leave the range saturate: the
/// rows themselves are in range, as `--summary` checked).
fn add(t: &mut SummaryRow, r: &SummaryRow) {
    let sum = |a: Decimal, b: Decimal| a.checked_add(b).unwrap_or(Decimal::MAX);
    t.paid = sum(t.paid, r.paid);
    t.clawed_back = sum(t.clawed_back, r.clawed_back);
    t.reinstated = sum(t.reinstated, r.reinstated);
    t.bonuses = sum(t.bonuses, r.bonuses);
    t.net = sum(t.net, r.net);
}

/// The columns of a summary row, with their values.
pub(crate) fn columns(r: &SummaryRow) -> [(&'static str, Decimal); 5] {
    [
        ("paid", r.paid),
        ("clawed_back", r.clawed_back),
        ("reinstated", r.reinstated),
        ("bonuses", r.bonuses),
        ("net", r.net),
    ]
}

impl Serialize for RepDiff {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if !self.rep.is_empty() {
            m.serialize_entry("rep", &self.rep)?;
        }
        m.serialize_entry("currency", &self.currency)?;
        for ((name, o), (_, n)) in columns(&self.old).into_iter().zip(columns(&self.new)) {
            let delta = n.checked_sub(o).map(|d| money(d, &self.currency));
            m.serialize_entry(
                name,
                &serde_json::json!({
                    "old": money(o, &self.currency),
                    "new": money(n, &self.currency),
                    "delta": delta,
                }),
            )?;
        }
        m.end()
    }
}

impl Serialize for LedgerDiff {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("block", "commission")?;
        m.serialize_entry("from", &self.from)?;
        m.serialize_entry("to", &self.to)?;
        m.serialize_entry("keys", &self.keys_total)?;
        m.serialize_entry("keys_changed", &self.keys.len())?;
        m.serialize_entry(
            "errors",
            &serde_json::json!({"old": self.errors.0, "new": self.errors.1}),
        )?;
        m.serialize_entry("totals", &self.totals)?;
        m.serialize_entry("reps", &self.reps)?;
        m.serialize_entry("changes", &self.keys)?;
        m.end()
    }
}

/// Writes the diff as a person reads it: the headline, totals per
/// currency, then per rep.
pub fn write_ledger_text(d: &LedgerDiff, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(
        w,
        "{} of {} ledger lines change amount ({} → {}); error lines {} → {}.",
        d.keys.len(),
        d.keys_total,
        d.from,
        d.to,
        d.errors.0,
        d.errors.1
    )?;
    let rows = |list: &[RepDiff], who: bool| -> Vec<Vec<String>> {
        let mut out = vec![[
            if who { "rep" } else { "total" },
            "currency",
            "net old",
            "net new",
            "Δ net",
            "Δ paid",
            "Δ clawed back",
            "Δ reinstated",
            "Δ bonuses",
        ]
        .map(String::from)
        .to_vec()];
        for r in list {
            let c = &r.currency;
            let delta = |f: fn(&SummaryRow) -> Decimal| {
                f(&r.new)
                    .checked_sub(f(&r.old))
                    .map_or_else(|| "out of range".to_string(), |d| money(d, c))
            };
            out.push(vec![
                if who { r.rep.clone() } else { "all".into() },
                c.clone(),
                money(r.old.net, c),
                money(r.new.net, c),
                delta(|x| x.net),
                delta(|x| x.paid),
                delta(|x| x.clawed_back),
                delta(|x| x.reinstated),
                delta(|x| x.bonuses),
            ]);
        }
        out
    };
    writeln!(w)?;
    super::report::table(w, &rows(&d.totals, false))?;
    writeln!(w)?;
    super::report::table(w, &rows(&d.reps, true))?;
    Ok(())
}
