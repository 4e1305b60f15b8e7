//! An independent reference model of LANGUAGE.md §8 (commission block) for
//! the clawback property tests: exact fractions over i128, rounding to the
//! currency's minor unit, the deal state machine, reinstatements, the cap,
//! upgrade and retention bonuses. It shares no code with `src/clawback`.

#![allow(dead_code)]

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::ops::{Add, Div, Mul, Neg, Sub};

use chrono::NaiveDate;

// ------------------------------------------------------------------ fractions

/// An exact fraction `n / d`, `d > 0`, in lowest terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Q {
    pub n: i128,
    pub d: i128,
}

fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

impl Q {
    pub fn new(n: i128, d: i128) -> Q {
        assert!(d != 0, "zero denominator");
        let (n, d) = if d < 0 { (-n, -d) } else { (n, d) };
        let g = gcd(n, d).max(1);
        Q { n: n / g, d: d / g }
    }
    pub fn int(i: i128) -> Q {
        Q { n: i, d: 1 }
    }
    pub fn zero() -> Q {
        Q::int(0)
    }
    /// `u` minor units at `places` decimals.
    pub fn units(u: i128, places: u32) -> Q {
        Q::new(u, 10i128.pow(places))
    }
    pub fn is_zero(self) -> bool {
        self.n == 0
    }
    /// A decimal (as rust_decimal stores it: mantissa and scale).
    pub fn from_decimal(d: rust_decimal::Decimal) -> Q {
        Q::new(d.mantissa(), 10i128.pow(d.scale()))
    }
    /// Rounds to `places` decimals with `mode`; the result in units of
    /// 10^-places. Written from floor division (the engine truncates), so
    /// that the two computations are independent.
    pub fn round(self, places: u32, mode: Mode) -> i128 {
        let n = self.n * 10i128.pow(places);
        let d = self.d;
        let fl = n.div_euclid(d);
        let r = n.rem_euclid(d); // 0 <= r < d; value = fl + r/d
        if r == 0 {
            return fl;
        }
        let ce = fl + 1;
        let negative = n < 0;
        match mode {
            Mode::Down => {
                if negative {
                    ce
                } else {
                    fl
                }
            }
            Mode::HalfUp => match (2 * r).cmp(&d) {
                Ordering::Less => fl,
                Ordering::Greater => ce,
                Ordering::Equal => {
                    if negative {
                        fl
                    } else {
                        ce
                    }
                }
            },
            Mode::HalfEven => match (2 * r).cmp(&d) {
                Ordering::Less => fl,
                Ordering::Greater => ce,
                Ordering::Equal => {
                    if fl.rem_euclid(2) == 0 {
                        fl
                    } else {
                        ce
                    }
                }
            },
        }
    }
    pub fn min(self, o: Q) -> Q {
        if self <= o {
            self
        } else {
            o
        }
    }
}

impl Add for Q {
    type Output = Q;
    fn add(self, o: Q) -> Q {
        Q::new(self.n * o.d + o.n * self.d, self.d * o.d)
    }
}
impl Sub for Q {
    type Output = Q;
    fn sub(self, o: Q) -> Q {
        self + (-o)
    }
}
impl Neg for Q {
    type Output = Q;
    fn neg(self) -> Q {
        Q {
            n: -self.n,
            d: self.d,
        }
    }
}
impl Mul for Q {
    type Output = Q;
    fn mul(self, o: Q) -> Q {
        // Reduce crosswise first to keep the numbers small.
        let a = Q::new(self.n, o.d);
        let b = Q::new(o.n, self.d);
        Q::new(a.n * b.n, a.d * b.d)
    }
}
impl Div for Q {
    type Output = Q;
    fn div(self, o: Q) -> Q {
        assert!(o.n != 0, "division by zero");
        self * Q::new(o.d, o.n)
    }
}
impl PartialOrd for Q {
    fn partial_cmp(&self, o: &Q) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Q {
    fn cmp(&self, o: &Q) -> Ordering {
        (self.n * o.d).cmp(&(o.n * self.d))
    }
}

/// `units` at `places` decimals, written with exactly that many places.
pub fn fmt_units(units: i128, places: u32) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let a = units.unsigned_abs();
    if places == 0 {
        return format!("{sign}{a}");
    }
    let p = 10u128.pow(places);
    format!("{sign}{}.{:0width$}", a / p, a % p, width = places as usize)
}

/// `units` at `places` decimals without trailing zeros (`0.6`, `1`, `0`).
pub fn fmt_norm(units: i128, places: u32) -> String {
    let s = fmt_units(units, places);
    if !s.contains('.') {
        return s;
    }
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

pub fn places(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" => 0,
        _ => 2,
    }
}

// ----------------------------------------------------------------- the plans

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    HalfEven,
    HalfUp,
    Down,
}

impl Mode {
    pub fn keyword(self) -> &'static str {
        match self {
            Mode::HalfEven => "half_even",
            Mode::HalfUp => "half_up",
            Mode::Down => "down",
        }
    }
}

/// A rate in hundredths of a percent (`1250` is 12.5%).
pub fn rate_q(h: i64) -> Q {
    Q::new(i128::from(h), 10_000)
}

/// A rate as a percent literal: `12.50%`.
pub fn pct(h: i64) -> String {
    format!("{}.{:02}%", h / 100, h % 100)
}

#[derive(Clone, Debug)]
pub enum Sched {
    Prorated,
    /// Inclusive (from, to, rate in hundredths of a percent).
    Bands(Vec<(i64, i64, i64)>),
}

#[derive(Clone, Debug)]
pub enum Cond {
    Always,
    TeamIs(&'static str),
    TeamIn(Vec<&'static str>),
}

#[derive(Clone, Copy, Debug)]
pub enum Base {
    AddedValue,
    DealAmount,
}

#[derive(Clone, Copy, Debug)]
pub enum To {
    EventRep,
    DealRep,
}

#[derive(Clone, Debug)]
pub struct UpRule {
    pub name: String,
    pub rate_h: i64,
    pub base: Base,
    pub to: To,
    pub cond: Cond,
}

#[derive(Clone, Debug)]
pub struct Retention {
    pub rate_h: i64,
    pub days: i64,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub version: i64,
    pub effective: NaiveDate,
    pub window: i64,
    pub sched: Sched,
    pub except: Option<Vec<&'static str>>,
    pub ups: Vec<UpRule>,
    pub retention: Option<Retention>,
    pub mode: Mode,
}

pub const POLICY: &str = "props_commission";

fn text_set(items: &[&str]) -> String {
    let inner: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("{{{}}}", inner.join(", "))
}

impl Plan {
    /// The plan as policy source, in the syntax of the worked examples.
    pub fn source(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# generated by tests/clawback_props.rs\npolicy \"{POLICY}\" version {} effective {}\n  timezone \"UTC\"\n",
            self.version, self.effective
        );
        let _ = writeln!(s, "commission plan_v{} {{", self.version);
        let _ = write!(s, "  clawback within {} days of closed_on", self.window);
        if let Some(set) = &self.except {
            let _ = write!(s, " except when event.reason in {}", text_set(set));
        }
        match &self.sched {
            Sched::Prorated => s.push_str(" prorated\n"),
            Sched::Bands(bands) => {
                s.push_str(" {\n");
                for (a, b, h) in bands {
                    let _ = writeln!(s, "    days {a} to {b}: {}", pct(*h));
                }
                s.push_str("  }\n");
            }
        }
        for r in &self.ups {
            let base = match r.base {
                Base::AddedValue => "event.added_value",
                Base::DealAmount => "deal.amount",
            };
            let to = match r.to {
                To::EventRep => "event.rep",
                To::DealRep => "deal.rep",
            };
            let _ = write!(
                s,
                "  bonus {}: {} of {base} on upgrade to {to}",
                r.name,
                pct(r.rate_h)
            );
            match &r.cond {
                Cond::Always => {}
                Cond::TeamIs(t) => {
                    let _ = write!(s, " when event.team == \"{t}\"");
                }
                Cond::TeamIn(set) => {
                    let _ = write!(s, " when event.team in {}", text_set(set));
                }
            }
            s.push('\n');
        }
        if let Some(r) = &self.retention {
            let _ = writeln!(
                s,
                "  bonus retention: {} of deal.amount if retained {} days after closed_on",
                pct(r.rate_h),
                r.days
            );
        }
        let _ = writeln!(s, "  rounding {}\n}}", self.mode.keyword());
        s
    }

    /// The rate on `days` (inside the window) and how the engine names it.
    fn rate(&self, days: i64) -> Q {
        match &self.sched {
            Sched::Prorated => Q::new(i128::from(self.window - days), i128::from(self.window)),
            Sched::Bands(bands) => {
                let (_, _, h) = bands
                    .iter()
                    .find(|(a, b, _)| *a <= days && days <= *b)
                    .expect("bands cover the window");
                rate_q(*h)
            }
        }
    }
}

// ----------------------------------------------------------------- the inputs

#[derive(Clone, Debug)]
pub struct Deal {
    pub id: String,
    pub rep: String,
    pub currency: &'static str,
    /// Commission paid, in minor units.
    pub amount: i64,
    /// Contract value, in minor units.
    pub value: i64,
    pub closed_on: NaiveDate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvKind {
    Cancellation,
    Downgrade,
    Reinstatement,
    Upgrade,
}

impl EvKind {
    pub fn type_text(self) -> &'static str {
        match self {
            EvKind::Cancellation => "cancellation",
            EvKind::Downgrade => "downgrade",
            EvKind::Reinstatement => "reinstatement",
            EvKind::Upgrade => "upgrade",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            EvKind::Cancellation | EvKind::Downgrade => "clawback",
            EvKind::Reinstatement => "reinstatement",
            EvKind::Upgrade => "upgrade",
        }
    }
}

/// Money in an event: minor units of the deal's currency (bare), or an
/// explicit (other) currency.
#[derive(Clone, Copy, Debug)]
pub struct Money {
    pub units: i64,
    pub currency: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct Event {
    pub id: String,
    pub deal: String,
    pub kind: EvKind,
    pub on: NaiveDate,
    pub reason: Option<&'static str>,
    pub lost: Option<Money>,
    pub added: Option<Money>,
    pub rep: Option<String>,
    pub team: Option<&'static str>,
}

pub fn deals_csv(deals: &[Deal]) -> String {
    let mut s = String::from("deal,rep,amount,currency,deal_value,closed_on\n");
    for d in deals {
        let p = places(d.currency);
        let _ = writeln!(
            s,
            "{},{},{},{},{},{}",
            d.id,
            d.rep,
            fmt_units(d.amount.into(), p),
            d.currency,
            fmt_units(d.value.into(), p),
            d.closed_on
        );
    }
    s
}

fn money_cell(m: Option<Money>, deal_currency: &str) -> String {
    match m {
        None => String::new(),
        Some(Money {
            units,
            currency: None,
        }) => fmt_units(units.into(), places(deal_currency)),
        Some(Money {
            units,
            currency: Some(c),
        }) => format!("{} {c}", fmt_units(units.into(), places(c))),
    }
}

pub fn events_csv(events: &[Event], deals: &[Deal]) -> String {
    let mut s = String::from("event,deal,type,on,reason,lost_value,added_value,rep,team\n");
    for e in events {
        let cur = deals
            .iter()
            .find(|d| d.id == e.deal)
            .map_or("USD", |d| d.currency);
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{}",
            e.id,
            e.deal,
            e.kind.type_text(),
            e.on,
            e.reason.unwrap_or(""),
            money_cell(e.lost, cur),
            money_cell(e.added, cur),
            e.rep.as_deref().unwrap_or(""),
            e.team.unwrap_or("")
        );
    }
    s
}

// ------------------------------------------------------------------ the model

/// An expected ledger line.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub deal: String,
    pub rep: String,
    pub event: String,
    pub kind: String,
    pub status: &'static str,
    pub version: Option<i64>,
    pub days: Option<i64>,
    /// Minor units (`None` on error lines).
    pub amount: Option<i128>,
    pub places: u32,
    pub currency: String,
    /// Exact rate and base where a rate applied (applied clawbacks, bonuses).
    pub rate: Option<Q>,
    pub base: Option<Q>,
    /// An applied clawback cut so that the total never exceeds the amount.
    pub cut: bool,
}

impl Line {
    pub fn amount_text(&self) -> Option<String> {
        self.amount.map(|u| fmt_units(u, self.places))
    }
    fn error(deal: &str, rep: &str, event: &str, kind: &str, currency: &str) -> Line {
        Line {
            deal: deal.into(),
            rep: rep.into(),
            event: event.into(),
            kind: kind.into(),
            status: "error",
            version: None,
            days: None,
            amount: None,
            places: places(currency),
            currency: currency.into(),
            rate: None,
            base: None,
            cut: false,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub lines: Vec<Line>,
    /// Each valid deal's (rep, currency, amount paid).
    pub paid: Vec<(String, String, Q)>,
}

/// The version in force on `date`: greatest effective date <= date.
pub fn plan_for(plans: &[Plan], date: NaiveDate) -> Option<&Plan> {
    plans
        .iter()
        .filter(|p| p.effective <= date)
        .max_by_key(|p| p.effective)
}

#[derive(Clone, Copy, Debug)]
pub struct State {
    /// Remaining contract value, minor units.
    pub remaining: i128,
    pub active: bool,
    /// Running clawback total (positive), minor units.
    pub clawed: i128,
    /// What the last cancellation clawed back (positive), minor units.
    pub last_cancel: i128,
}

/// Replays `evs` (already in date order) on one deal; returns the final
/// state and one line per event, tagged with the event's input index.
pub fn replay(deal: &Deal, plan: &Plan, evs: &[(usize, &Event)]) -> (State, Vec<(usize, Line)>) {
    let p = places(deal.currency);
    let amount = Q::units(deal.amount.into(), p);
    let value = Q::units(deal.value.into(), p);
    let mut st = State {
        remaining: deal.value.into(),
        active: true,
        clawed: 0,
        last_cancel: 0,
    };
    let mut out = Vec::new();
    for &(i, e) in evs {
        let days = (e.on - deal.closed_on).num_days();
        let mut line = Line {
            deal: deal.id.clone(),
            rep: deal.rep.clone(),
            event: e.id.clone(),
            kind: e.kind.label().into(),
            status: "applied",
            version: Some(plan.version),
            days: Some(days),
            amount: Some(0),
            places: p,
            currency: deal.currency.into(),
            rate: None,
            base: None,
            cut: false,
        };
        let err = |line: &mut Line| {
            line.status = "error";
            line.amount = None;
            line.rate = None;
            line.base = None;
        };
        let within = days <= plan.window;
        if days < 0 {
            err(&mut line);
            out.push((i, line));
            continue;
        }
        match e.kind {
            EvKind::Cancellation | EvKind::Downgrade => {
                if !st.active {
                    err(&mut line);
                    out.push((i, line));
                    continue;
                }
                let part = if e.kind == EvKind::Cancellation {
                    st.remaining
                } else {
                    match e.lost {
                        Some(m) if m.units > 0 && i128::from(m.units) <= st.remaining => {
                            i128::from(m.units)
                        }
                        _ => {
                            err(&mut line);
                            out.push((i, line));
                            continue;
                        }
                    }
                };
                let excluded = plan
                    .except
                    .as_ref()
                    .is_some_and(|set| e.reason.is_some_and(|r| set.contains(&r)));
                let mut taken = 0i128;
                if !within {
                    line.status = "outside_window";
                } else if excluded {
                    line.status = "excluded";
                } else if st.clawed >= i128::from(deal.amount) {
                    line.status = "nothing_left";
                } else {
                    let rate = plan.rate(days);
                    let base = amount * Q::units(part, p) / value;
                    let exact = rate * base;
                    let left = amount - Q::units(st.clawed, p);
                    taken = exact.min(left).round(p, plan.mode);
                    line.cut = exact.round(p, plan.mode) > taken;
                    line.amount = Some(-taken);
                    line.rate = Some(rate);
                    line.base = Some(base);
                    st.clawed += taken;
                }
                if e.kind == EvKind::Cancellation {
                    st.active = false;
                    st.last_cancel = taken;
                } else {
                    st.remaining -= part;
                }
            }
            EvKind::Reinstatement => {
                if st.active {
                    err(&mut line);
                    out.push((i, line));
                    continue;
                }
                if within {
                    line.amount = Some(st.last_cancel);
                    st.clawed -= st.last_cancel;
                } else {
                    line.status = "outside_window";
                }
                st.active = true;
            }
            EvKind::Upgrade => {
                // LANGUAGE.md §8: a zero or negative `added_value` is an
                // error line, whether a rule would use it or not.
                if !st.active || e.added.is_some_and(|m| m.units <= 0) {
                    err(&mut line);
                    out.push((i, line));
                    continue;
                }
                let mut done = false;
                for r in &plan.ups {
                    let fires = match &r.cond {
                        Cond::Always => true,
                        Cond::TeamIs(t) => e.team == Some(*t),
                        Cond::TeamIn(set) => e.team.is_some_and(|t| set.contains(&t)),
                    };
                    if !fires {
                        continue;
                    }
                    done = true;
                    let base = match r.base {
                        Base::DealAmount => Some(amount),
                        Base::AddedValue => e.added.map(|m| Q::units(m.units.into(), p)),
                    };
                    let to = match r.to {
                        To::DealRep => Some(deal.rep.clone()),
                        To::EventRep => e.rep.clone().filter(|s| !s.trim().is_empty()),
                    };
                    match (base, to) {
                        (Some(base), Some(to)) => {
                            let rate = rate_q(r.rate_h);
                            line.kind = format!("bonus:{}", r.name);
                            line.rep = to;
                            line.amount = Some((rate * base).round(p, plan.mode));
                            line.rate = Some(rate);
                            line.base = Some(base);
                        }
                        // A missing base or recipient is an error (the
                        // engine's choice; the spec is silent).
                        _ => err(&mut line),
                    }
                    break;
                }
                if !done {
                    line.kind = "upgrade".into();
                    line.status = "not_eligible";
                }
            }
        }
        out.push((i, line));
    }
    (st, out)
}

/// The whole ledger, following §8 and CLI.md literally.
pub fn model(plans: &[Plan], deals: &[Deal], events: &[Event], as_of: NaiveDate) -> Outcome {
    let governing: Vec<Option<&Plan>> =
        deals.iter().map(|d| plan_for(plans, d.closed_on)).collect();
    let mut lines: Vec<Option<Line>> = vec![None; events.len()];
    let mut per_deal: Vec<Vec<(usize, &Event)>> = vec![Vec::new(); deals.len()];
    for (i, e) in events.iter().enumerate() {
        let label = e.kind.label();
        let Some(di) = deals.iter().position(|d| d.id == e.deal) else {
            lines[i] = Some(Line::error(&e.deal, "", &e.id, label, ""));
            continue;
        };
        let d = &deals[di];
        if governing[di].is_none() {
            lines[i] = Some(Line::error(&d.id, &d.rep, &e.id, label, d.currency));
            continue;
        }
        let foreign = [e.lost, e.added]
            .iter()
            .flatten()
            .any(|m| m.currency.is_some_and(|c| c != d.currency));
        if foreign {
            lines[i] = Some(Line::error(&d.id, &d.rep, &e.id, label, d.currency));
            continue;
        }
        per_deal[di].push((i, e));
    }
    let mut tail = Vec::new();
    for (di, d) in deals.iter().enumerate() {
        let Some(plan) = governing[di] else {
            tail.push(Line::error(&d.id, &d.rep, "", "", d.currency));
            continue;
        };
        let mut evs = per_deal[di].clone();
        evs.sort_by_key(|(i, e)| (e.on, *i));
        let (_, out) = replay(d, plan, &evs);
        for (i, l) in out {
            lines[i] = Some(l);
        }
        if let Some(r) = &plan.retention {
            // The state at the end of day M: the events up to day M only.
            let upto: Vec<(usize, &Event)> = evs
                .iter()
                .copied()
                .filter(|(_, e)| (e.on - d.closed_on).num_days() <= r.days)
                .collect();
            let (at_m, _) = replay(d, plan, &upto);
            let due = d.closed_on + chrono::Days::new(r.days as u64);
            if as_of > due && at_m.active {
                let p = places(d.currency);
                let rate = rate_q(r.rate_h);
                let base = Q::units(d.amount.into(), p) * Q::units(at_m.remaining, p)
                    / Q::units(d.value.into(), p);
                tail.push(Line {
                    deal: d.id.clone(),
                    rep: d.rep.clone(),
                    event: String::new(),
                    kind: "bonus:retention".into(),
                    status: "applied",
                    version: Some(plan.version),
                    days: None,
                    amount: Some((rate * base).round(p, plan.mode)),
                    places: p,
                    currency: d.currency.into(),
                    rate: Some(rate),
                    base: Some(base),
                    cut: false,
                });
            }
        }
    }
    let paid = deals
        .iter()
        .zip(&governing)
        .filter(|(_, g)| g.is_some())
        .map(|(d, _)| {
            (
                d.rep.clone(),
                d.currency.to_string(),
                Q::units(d.amount.into(), places(d.currency)),
            )
        })
        .collect();
    Outcome {
        lines: lines
            .into_iter()
            .map(|l| l.expect("every event has a line"))
            .chain(tail)
            .collect(),
        paid,
    }
}

/// A summary row: rep, currency, paid, clawed_back, reinstated, bonuses, net.
pub type SumRow = (String, String, Q, Q, Q, Q, Q);

/// The summary of CLI.md, from the model's lines.
pub fn summary(o: &Outcome) -> Vec<SumRow> {
    let mut rows: std::collections::BTreeMap<(String, String), [Q; 4]> = Default::default();
    for (rep, cur, a) in &o.paid {
        let r = rows
            .entry((rep.clone(), cur.clone()))
            .or_insert([Q::zero(); 4]);
        r[0] = r[0] + *a;
    }
    for l in o.lines.iter().filter(|l| l.status != "error") {
        let col = if l.kind == "clawback" {
            1
        } else if l.kind == "reinstatement" {
            2
        } else if l.kind.starts_with("bonus:") {
            3
        } else {
            continue;
        };
        let a = Q::units(l.amount.unwrap_or(0), l.places);
        let r = rows
            .entry((l.rep.clone(), l.currency.clone()))
            .or_insert([Q::zero(); 4]);
        r[col] = r[col] + a;
    }
    rows.into_iter()
        .map(|((rep, cur), [p, c, r, b])| (rep, cur, p, c, r, b, p + c + r + b))
        .collect()
}
